'use strict';
// sedd for VS Code: inline (ghost text) completions from a warm `sedd serve` daemon. Plain CommonJS,
// no npm dependencies.
const vscode = require('vscode');
const { SeddClient } = require('./lib/client');
const { SeddInlineProvider } = require('./lib/provider');

/** Every setting and its default (also declared, with descriptions, in package.json). */
const DEFAULTS = {
  enable: true, binary: 'sedd', model: '', transport: 'stdio', steps: 16, span: 32, debounce: 150, deadline: 0,
  stop: 'none', seed: null, disabledLanguages: [],
};

function settings() {
  const c = vscode.workspace.getConfiguration('sedd');
  const s = {};
  for (const key of Object.keys(DEFAULTS)) s[key] = c.get(key, DEFAULTS[key]);
  return s;
}

function activate(context) {
  const client = new SeddClient(settings);
  const status = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  status.command = 'sedd.status';
  let provider;
  const update = () => { status.text = provider ? provider.statusText() : 'sedd'; };
  provider = new SeddInlineProvider(client, settings, update);
  update();
  status.show();
  client.on('close', update);
  let current = settings();
  context.subscriptions.push(
    status,
    vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, provider),
    vscode.commands.registerCommand('sedd.toggle', () => {
      provider.enabled = !provider.enabled;
      if (!provider.enabled) provider.cancelPending();
      update();
    }),
    vscode.commands.registerCommand('sedd.trigger', () => vscode.commands.executeCommand('editor.action.inlineSuggest.trigger')),
    vscode.commands.registerCommand('sedd.fillSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.selection.isEmpty) return;
      try { await provider.fillSelection(editor); } catch (e) { vscode.window.showWarningMessage(`sedd: ${e.message}`); }
    }),
    vscode.commands.registerCommand('sedd.restart', () => { client.restart(); update(); }),
    vscode.commands.registerCommand('sedd.status', () => {
      const s = settings();
      const info = client.info ? `; daemon model ${client.info.model}, context ${client.info.contextLength} tokens` : '';
      vscode.window.showInformationMessage(`${provider.statusText()}; transport ${s.transport}, steps ${s.steps}, `
        + `span ${s.span}, debounce ${s.debounce}ms, deadline ${s.deadline > 0 ? `${s.deadline}ms` : 'none'}${info}`);
    }),
    vscode.workspace.onDidCloseTextDocument((document) => client.close(document.uri.toString())),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration('sedd')) return;
      const next = settings();
      if (next.binary !== current.binary || next.model !== current.model || next.transport !== current.transport) {
        client.restart();
      } else {
        client.settingsChanged();
      }
      provider.enabled = next.enable;
      current = next;
      update();
    }),
    { dispose: () => client.stop() },
  );
  return { client, provider };
}

function deactivate() {}

module.exports = { activate, deactivate, DEFAULTS };
