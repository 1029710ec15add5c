'use strict';
// The inline completion provider under a stub `vscode` module, against the real daemon.
const vscode = require('./vscode-stub');
vscode.install();
const test = require('node:test');
const assert = require('node:assert');
const { SeddClient } = require('../lib/client');
const { SeddInlineProvider, trimRepeat } = require('../lib/provider');
const { settings, waitFor } = require('./helpers');

const automatic = { triggerKind: vscode.InlineCompletionTriggerKind.Automatic };

function setup(t, extra) {
  let current = settings(extra);
  const client = new SeddClient(() => current);
  const provider = new SeddInlineProvider(client, () => current);
  t.after(() => client.stop());
  return { client, provider, set: (more) => { current = settings({ ...extra, ...more }); } };
}

test('request building: document uri, UTF-16 range on a non-ASCII line, languageId, options', (t) => {
  const { provider } = setup(t, { stop: 'line' });
  const doc = vscode.textDocument('x = 1\nhéllo 😀 wörld\n', 'python', 'file:///t.py');
  const params = provider.requestParams(doc, new vscode.Position(1, 8));
  assert.deepStrictEqual(params, {
    textDocument: { uri: 'file:///t.py' }, ranges: [{ start: { line: 1, character: 8 }, end: { line: 1, character: 8 } }],
    languageId: 'python', stop: 'line', seed: 11,
  });
  assert.strictEqual(trimRepeat('foo)', ')'), 'foo');
});

test('a suggestion after the debounce: didOpen with languageId, the fill at the cursor, the status', async (t) => {
  const { client, provider } = setup(t);
  const text = 'héllo 😀 wörld\n';
  const doc = vscode.textDocument(text, 'python');
  const position = new vscode.Position(0, 8); // after the emoji, in UTF-16 units
  const list = await provider.provideInlineCompletionItems(doc, position, automatic, new vscode.CancellationTokenSource().token);
  assert.ok(list && list.items.length === 1, 'one item');
  const item = list.items[0];
  assert.deepStrictEqual(item.range, new vscode.Range(position, position));
  const open = client.connection.sent.find((m) => m.method === 'textDocument/didOpen');
  assert.strictEqual(open.params.textDocument.languageId, 'python');
  assert.strictEqual(open.params.textDocument.text, text);
  // the daemon put the hole where the editor meant it: its text is prefix + fill + suffix
  const again = await client.connection.request('sedd/infill', provider.requestParams(doc, position)).promise;
  assert.strictEqual(again.items[0].text, 'héllo 😀' + again.items[0].fills[0] + ' wörld\n');
  assert.strictEqual(again.items[0].fills[0], item.insertText, 'same seed, same fill');
  assert.match(provider.statusText(), /^sedd \d+ms 4 steps$/);
});

// Runs `after` synchronously right after the connection sends its next sedd/infill: the daemon cannot have
// answered yet, so what `after` does happens while the request is in flight.
async function onNextInfill(client, after) {
  const connection = await client.connect();
  const request = connection.request.bind(connection);
  connection.request = (method, params) => {
    const sent = request(method, params);
    if (method === 'sedd/infill') { connection.request = request; after(sent.id); }
    return sent;
  };
}

test('cancel-then-send: a second request cancels the first at once; the first answer is dropped', async (t) => {
  const { client, provider } = setup(t);
  const doc = vscode.textDocument('let x = 1;\n', 'rust');
  const invoke = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke };
  let firstId;
  let second;
  await onNextInfill(client, (id) => {
    firstId = id;
    second = provider.provideInlineCompletionItems(doc, new vscode.Position(0, 4), invoke, new vscode.CancellationTokenSource().token);
  });
  const first = await provider.provideInlineCompletionItems(doc, new vscode.Position(0, 3), invoke,
    new vscode.CancellationTokenSource().token);
  const secondList = await second;
  const sent = client.connection.sent;
  const infills = sent.filter((m) => m.method === 'sedd/infill');
  assert.strictEqual(infills.length, 2);
  const cancelAt = sent.findIndex((m) => m.method === '$/cancelRequest' && m.params.id === firstId);
  const secondAt = sent.indexOf(infills[1]);
  assert.ok(cancelAt >= 0 && cancelAt < secondAt, 'cancel of the first before the second request');
  assert.strictEqual(first, undefined, 'first answer dropped');
  assert.ok(secondList.items.length === 1);
});

test('a stale answer (the document changed meanwhile) is dropped; VS Code cancelling the token cancels', async (t) => {
  const { client, provider } = setup(t);
  const doc = vscode.textDocument('abc\n');
  const invoke = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke };
  const dropped = provider.dropped;
  await onNextInfill(client, () => doc.edit('abcd\n'));
  assert.strictEqual(await provider.provideInlineCompletionItems(doc, new vscode.Position(0, 1), invoke,
    new vscode.CancellationTokenSource().token), undefined);
  assert.strictEqual(provider.dropped, dropped + 1);

  const source = new vscode.CancellationTokenSource();
  let cancelledId;
  await onNextInfill(client, (id) => { cancelledId = id; source.cancel(); });
  assert.strictEqual(await provider.provideInlineCompletionItems(doc, new vscode.Position(0, 1), invoke, source.token),
    undefined);
  assert.ok(client.connection.sent.some((m) => m.method === '$/cancelRequest' && m.params.id === cancelledId));
});

test('fill selection: sedd/infill with ranges and length = span, the edit replaces the selection', async (t) => {
  const { client, provider } = setup(t);
  const doc = vscode.textDocument('før XYZ\nmid\nABC after\n');
  const selection = new vscode.Range(new vscode.Position(0, 4), new vscode.Position(2, 3));
  let replaced;
  const editor = { document: doc, selection, edit: async (fn) => fn({ replace: (range, text) => { replaced = { range, text }; } }) };
  const fill = await provider.fillSelection(editor);
  const request = client.connection.sent.filter((m) => m.method === 'sedd/infill').pop();
  assert.strictEqual(request.params.length, 8);
  assert.deepStrictEqual(request.params.ranges[0], { start: { line: 0, character: 4 }, end: { line: 2, character: 3 } });
  assert.deepStrictEqual(replaced, { range: selection, text: fill });
});

test('per-language switch and toggle stop automatic requests', async (t) => {
  const { provider, client } = setup(t, { disabledLanguages: ['markdown'] });
  const doc = vscode.textDocument('# title\n', 'markdown');
  assert.strictEqual(await provider.provideInlineCompletionItems(doc, new vscode.Position(0, 2), automatic,
    new vscode.CancellationTokenSource().token), undefined);
  assert.strictEqual(client.connection, null, 'nothing was sent');
  provider.enabled = false;
  assert.ok(!provider.isEnabled('python'));
  assert.strictEqual(provider.statusText(), 'sedd off');
});

test('activate: the provider for every file, the commands, settings from sedd.*, the status bar', async (t) => {
  const extension = require('../extension');
  const defaults = settings();
  Object.assign(vscode.registered.configuration, {
    binary: defaults.binary, model: defaults.model, steps: 4, span: 8, debounce: 10, seed: 5,
  });
  const context = { subscriptions: [] };
  const { client, provider } = extension.activate(context);
  t.after(() => { for (const d of context.subscriptions) d.dispose(); });
  assert.deepStrictEqual(vscode.registered.providers.map((p) => p.selector), [{ pattern: '**' }]);
  assert.deepStrictEqual([...vscode.registered.commands.keys()].sort(),
    ['sedd.fillSelection', 'sedd.restart', 'sedd.status', 'sedd.toggle', 'sedd.trigger']);
  assert.strictEqual(extension.DEFAULTS.steps, 16);
  const doc = vscode.textDocument('fn main() {}\n', 'rust');
  const list = await provider.provideInlineCompletionItems(doc, new vscode.Position(0, 11), automatic,
    new vscode.CancellationTokenSource().token);
  assert.ok(list.items.length === 1);
  const init = client.connection.sent.find((m) => m.method === 'initialize');
  assert.deepStrictEqual(init.params.initializationOptions, { steps: 4, span: 8, deadlineMs: null });
  assert.match(vscode.registered.statusItems[0].text, /^sedd \d+ms 4 steps$/);
  await vscode.commands.executeCommand('sedd.toggle');
  assert.strictEqual(vscode.registered.statusItems[0].text, 'sedd off');
});
