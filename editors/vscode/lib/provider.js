'use strict';
// The inline completion provider: a debounce, cancel-then-send, stale answers dropped, one
// sedd/infill request for a hole at the cursor of the synced document. VS Code draws the ghost text and
// handles accepting all (Tab), a word and a line (its inlineSuggest.acceptNext* commands).
const vscode = require('vscode');

const REQUEST_CANCELLED = -32800;

/** Drops the end of `fill` that repeats `after` (the rest of the line), e.g. a closing bracket. */
function trimRepeat(fill, after) {
  const rest = after.replace(/\s+$/, '');
  return rest && fill.endsWith(rest) ? fill.slice(0, fill.length - rest.length) : fill;
}

function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

class SeddInlineProvider {
  /** client: a SeddClient; getSettings(): the sedd.* settings; onStatus(): called when the status changes. */
  constructor(client, getSettings, onStatus = () => {}) {
    this.client = client;
    this.getSettings = getSettings;
    this.onStatus = onStatus;
    this.enabled = getSettings().enable;
    this.pending = null;
    this.last = { latency: null, steps: null, error: null };
    this.dropped = 0;
  }

  isEnabled(languageId) {
    return this.enabled && !this.getSettings().disabledLanguages.includes(languageId);
  }

  /** The sedd/infill params for a hole at `position` (VS Code positions count UTF-16 units already). */
  requestParams(document, position) {
    const s = this.getSettings();
    const at = { line: position.line, character: position.character };
    const params = {
      textDocument: { uri: document.uri.toString() }, ranges: [{ start: at, end: at }], languageId: document.languageId,
    };
    if (s.stop && s.stop !== 'none') params.stop = s.stop;
    if (typeof s.seed === 'number') params.seed = s.seed;
    return params;
  }

  cancelPending() {
    const pending = this.pending;
    this.pending = null;
    if (pending) pending.connection.cancel(pending.id);
  }

  async provideInlineCompletionItems(document, position, context, token) {
    const s = this.getSettings();
    const automatic = context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic;
    if (automatic && !this.isEnabled(document.languageId)) return undefined;
    if (automatic && s.debounce > 0) {
      await sleep(s.debounce);
      if (token.isCancellationRequested) return undefined;
    }
    const version = document.version;
    let connection;
    try {
      connection = await this.client.connect();
    } catch (e) {
      this.last.error = e.message;
      this.onStatus();
      return undefined;
    }
    if (token.isCancellationRequested || document.version !== version) return undefined;
    this.cancelPending();
    this.client.sync(connection, {
      uri: document.uri.toString(), languageId: document.languageId, version, text: document.getText(),
    });
    const sentAt = Date.now();
    const { id, promise } = connection.request('sedd/infill', this.requestParams(document, position));
    const pending = { connection, id };
    this.pending = pending;
    this.onStatus();
    const subscription = token.onCancellationRequested(() => {
      if (this.pending === pending) this.cancelPending();
    });
    // cancelled between the send and the subscription: no event comes for that
    if (token.isCancellationRequested && this.pending === pending) this.cancelPending();
    let result;
    try {
      result = await promise;
    } catch (e) {
      if (this.pending === pending) this.pending = null;
      if (e.code !== REQUEST_CANCELLED) this.last.error = e.message;
      else this.dropped += 1;
      this.onStatus();
      return undefined;
    } finally {
      subscription.dispose();
    }
    if (this.pending !== pending || token.isCancellationRequested || document.version !== version) {
      this.dropped += 1; // a newer request, or the document moved on: the answer is stale
      return undefined;
    }
    this.pending = null;
    this.last = { latency: Date.now() - sentAt, steps: result.steps, error: null };
    this.onStatus();
    const item = result.items && result.items[0];
    const line = document.lineAt(position.line).text;
    const fill = trimRepeat(item ? item.fills[0] : '', line.slice(position.character));
    if (!fill) return undefined;
    return new vscode.InlineCompletionList([new vscode.InlineCompletionItem(fill, new vscode.Range(position, position))]);
  }

  /** Replaces the editor's selection with a fill of `span` tokens. Resolves to the fill, or throws. */
  async fillSelection(editor) {
    const document = editor.document;
    const selection = editor.selection;
    const version = document.version;
    const connection = await this.client.connect();
    this.client.sync(connection, {
      uri: document.uri.toString(), languageId: document.languageId, version, text: document.getText(),
    });
    const s = this.getSettings();
    const params = {
      textDocument: { uri: document.uri.toString() },
      ranges: [{ start: { line: selection.start.line, character: selection.start.character },
        end: { line: selection.end.line, character: selection.end.character } }],
      length: s.span, languageId: document.languageId,
    };
    if (typeof s.seed === 'number') params.seed = s.seed;
    const sentAt = Date.now();
    let result;
    try {
      result = await connection.request('sedd/infill', params).promise;
    } catch (e) {
      this.last.error = e.message;
      this.onStatus();
      throw new Error(e.message);
    }
    if (document.version !== version) throw new Error('the document changed; fill dropped');
    this.last = { latency: Date.now() - sentAt, steps: result.steps, error: null };
    this.onStatus();
    const fill = result.items[0] ? result.items[0].fills[0] : '';
    await editor.edit((builder) => builder.replace(selection, fill));
    return fill;
  }

  /** 'sedd 83ms 16 steps', 'sedd off', 'sedd: <error>'. */
  statusText() {
    if (!this.enabled) return 'sedd off';
    if (this.last.error) return `sedd: ${this.last.error}`;
    if (this.client.error && !this.client.connection) return `sedd: ${this.client.error}`;
    if (this.pending) return 'sedd …';
    if (this.last.latency !== null) return `sedd ${Math.round(this.last.latency)}ms ${this.last.steps} steps`;
    return 'sedd';
  }
}

module.exports = { SeddInlineProvider, trimRepeat };
