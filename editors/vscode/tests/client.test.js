'use strict';
// The extension's daemon client against the real `sedd serve`.
const test = require('node:test');
const assert = require('node:assert');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');
const { SeddClient, FrameDecoder, encodeFrame, parseTransport } = require('../lib/client');
const { settings, seddBinary, testModel, waitFor } = require('./helpers');

test('frames: byte-exact Content-Length over split chunks with multi-byte text', () => {
  const frame = Buffer.concat([encodeFrame({ id: 1, result: 'é😀' }), encodeFrame({ id: 2, result: 'x' })]);
  const decoder = new FrameDecoder();
  const got = [];
  for (let i = 0; i < frame.length; i += 3) got.push(...decoder.push(frame.subarray(i, i + 3)));
  assert.deepStrictEqual(got, [{ id: 1, result: 'é😀' }, { id: 2, result: 'x' }]);
  assert.deepStrictEqual(parseTransport('tcp:127.0.0.1:7'), { kind: 'tcp', host: '127.0.0.1', port: 7 });
  assert.throws(() => parseTransport('pipe:x'), /unix:PATH/);
});

test('initialize passes the settings, checks protocolVersion, and an infill answers', async (t) => {
  const client = new SeddClient(() => settings());
  t.after(() => client.stop());
  const connection = await client.connect();
  assert.strictEqual(client.info.protocolVersion, 1);
  const init = connection.sent.find((m) => m.method === 'initialize');
  assert.deepStrictEqual(init.params.initializationOptions, { steps: 4, span: 8, deadlineMs: null });
  client.sync(connection, { uri: 'file:///a.py', languageId: 'python', version: 1, text: 'x = 1\n' });
  const result = await connection.request('sedd/infill', {
    textDocument: { uri: 'file:///a.py' }, ranges: [{ start: { line: 0, character: 4 }, end: { line: 0, character: 4 } }],
    languageId: 'python', seed: 3,
  }).promise;
  assert.strictEqual(result.steps, 4);
  assert.strictEqual(result.items[0].edits[0].range.start.character, 4);
});

test('cancel: the cancelled request is answered with RequestCancelled or its late result', async (t) => {
  const client = new SeddClient(() => settings({ steps: 64 }));
  t.after(() => client.stop());
  const connection = await client.connect();
  const first = connection.request('sedd/infill', { prefix: 'a', suffix: 'b', length: 64, steps: 64 });
  connection.cancel(first.id);
  const second = connection.request('sedd/infill', { prefix: 'a', suffix: 'b', length: 4, steps: 2 });
  const methods = connection.sent.map((m) => m.method);
  assert.ok(methods.lastIndexOf('$/cancelRequest') < methods.lastIndexOf('sedd/infill'));
  const outcome = await first.promise.then(() => 'result', (e) => e.code);
  assert.ok(outcome === -32800 || outcome === 'result', `got ${outcome}`);
  assert.strictEqual((await second.promise).steps, 2);
});

test('a daemon that dies is started again; documents are reopened', async (t) => {
  const client = new SeddClient(() => settings());
  t.after(() => client.stop());
  const first = await client.connect();
  client.sync(first, { uri: 'file:///r.txt', languageId: 'plaintext', version: 1, text: 'r' });
  first.process.kill('SIGKILL');
  assert.ok(await waitFor(() => client.connection === null));
  assert.match(client.error, /exited/);
  const second = await client.connect();
  assert.notStrictEqual(first, second);
  assert.strictEqual(client.starts, 2);
  client.sync(second, { uri: 'file:///r.txt', languageId: 'plaintext', version: 1, text: 'r' });
  assert.ok(second.sent.some((m) => m.method === 'textDocument/didOpen'), 'didOpen on the new connection');
});

for (const kind of ['unix', 'tcp']) {
  test(`${kind} socket transport`, async (t) => {
    const address = kind === 'unix' ? `unix:${path.join(os.tmpdir(), `sedd-vscode-${process.pid}.sock`)}`
      : `tcp:127.0.0.1:${20000 + ((process.pid + 29) % 20000)}`;
    const daemon = spawn(seddBinary(), ['serve', '--model', testModel(), '--listen', address], { stdio: 'ignore' });
    t.after(() => daemon.kill());
    const client = new SeddClient(() => settings({ transport: address }));
    t.after(() => client.stop());
    let connection;
    for (let i = 0; i < 50 && !connection; i++) {
      try { connection = await client.connect(); } catch { client.restart(); await new Promise((r) => setTimeout(r, 100)); }
    }
    assert.ok(connection, `connected over ${address}`);
    assert.strictEqual(connection.process, undefined);
    const result = await connection.request('sedd/infill', { prefix: 'a', suffix: 'b', length: 4 }).promise;
    assert.strictEqual(result.steps, 4);
  });
}

test('a daemon with another protocolVersion is refused', async (t) => {
  const fs = require('fs');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'sedd-fake-'));
  t.after(() => fs.rmSync(folder, { recursive: true, force: true }));
  const fake = path.join(folder, 'sedd');
  const body = '{"jsonrpc":"2.0","id":1,"result":{"capabilities":{},"sedd":{"protocolVersion":2}}}';
  fs.writeFileSync(fake, `#!/bin/sh\nprintf 'Content-Length: ${body.length}\\r\\n\\r\\n%s' '${body}'\nexec cat >/dev/null\n`,
    { mode: 0o700 });
  const client = new SeddClient(() => settings({ binary: fake }));
  t.after(() => client.stop());
  await assert.rejects(client.connect(), /protocolVersion 2/);
  assert.strictEqual(client.connection, null);
});
