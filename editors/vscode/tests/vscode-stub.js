'use strict';
// The subset of the `vscode` module the provider uses, for tests outside VS Code. It has no behaviour of
// its own beyond value classes and a cancellation token.
const Module = require('module');
const { EventEmitter } = require('events');

class Position {
  constructor(line, character) { this.line = line; this.character = character; }
}
class Range {
  constructor(start, end) { this.start = start; this.end = end; }
  get isEmpty() { return this.start.line === this.end.line && this.start.character === this.end.character; }
}
class InlineCompletionItem {
  constructor(insertText, range) { this.insertText = insertText; this.range = range; }
}
class InlineCompletionList {
  constructor(items) { this.items = items; }
}
class CancellationTokenSource {
  constructor() {
    const events = new EventEmitter();
    this.token = {
      isCancellationRequested: false,
      onCancellationRequested: (fn) => { events.on('cancel', fn); return { dispose: () => events.off('cancel', fn) }; },
    };
    this.cancel = () => { if (!this.token.isCancellationRequested) { this.token.isCancellationRequested = true; events.emit('cancel'); } };
  }
}

// Registries the extension fills in; tests read them. `configuration` is what getConfiguration returns.
const registered = { providers: [], commands: new Map(), statusItems: [], configuration: {}, messages: [] };
const disposable = { dispose() {} };

const vscode = {
  Position, Range, InlineCompletionItem, InlineCompletionList, CancellationTokenSource,
  InlineCompletionTriggerKind: { Invoke: 0, Automatic: 1 },
  StatusBarAlignment: { Left: 1, Right: 2 },
  languages: {
    registerInlineCompletionItemProvider(selector, provider) { registered.providers.push({ selector, provider }); return disposable; },
  },
  commands: {
    registerCommand(name, fn) { registered.commands.set(name, fn); return disposable; },
    executeCommand(name, ...args) { return registered.commands.has(name) ? registered.commands.get(name)(...args) : undefined; },
  },
  window: {
    activeTextEditor: undefined,
    createStatusBarItem() { const item = { text: '', show() {}, dispose() {} }; registered.statusItems.push(item); return item; },
    showInformationMessage(m) { registered.messages.push(m); },
    showWarningMessage(m) { registered.messages.push(m); },
  },
  workspace: {
    getConfiguration() { return { get: (key, fallback) => (key in registered.configuration ? registered.configuration[key] : fallback) }; },
    onDidCloseTextDocument() { return disposable; },
    onDidChangeConfiguration() { return disposable; },
  },
  registered,
};

/** A text document over an array of lines; `edit(text)` replaces its text and bumps the version. */
function textDocument(text, languageId = 'plaintext', uri = 'file:///test.txt') {
  const doc = {
    text, version: 1, languageId,
    uri: { toString: () => uri },
    getText() { return doc.text; },
    lineAt(line) { return { text: doc.text.split('\n')[line] }; },
    edit(newText) { doc.text = newText; doc.version += 1; },
  };
  return doc;
}

/** Makes require('vscode') return the stub. */
function install() {
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request === 'vscode' ? __filename : resolve.call(this, request, ...rest);
  };
}

module.exports = Object.assign(vscode, { install, textDocument });
