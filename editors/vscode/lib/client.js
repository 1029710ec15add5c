'use strict';
// A JSON-RPC 2.0 client for `sedd serve` with LSP Content-Length framing, over a child's stdio, a Unix
// socket or TCP. No VS Code dependency: tests run it under `node --test` against the real daemon.
const { spawn } = require('child_process');
const net = require('net');
const { EventEmitter } = require('events');

const PROTOCOL_VERSION = 1;

/** Splits 'stdio' | 'unix:PATH' | 'tcp:HOST:PORT'. Throws a message naming what is accepted. */
function parseTransport(transport) {
  if (!transport || transport === 'stdio') return { kind: 'stdio' };
  let m = /^unix:(.+)$/.exec(transport);
  if (m) return { kind: 'unix', path: m[1] };
  m = /^tcp:(.+):(\d+)$/.exec(transport);
  if (m) return { kind: 'tcp', host: m[1].replace(/^\[(.*)\]$/, '$1'), port: Number(m[2]) };
  throw new Error(`sedd.transport must be 'stdio', 'unix:PATH' or 'tcp:HOST:PORT', got '${transport}'`);
}

/** Incremental decoder of Content-Length framed messages (byte-exact on multi-byte UTF-8). */
class FrameDecoder {
  constructor() { this.buffer = Buffer.alloc(0); }
  push(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const messages = [];
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const header = this.buffer.subarray(0, end).toString('ascii');
      const m = /content-length:\s*(\d+)/i.exec(header);
      if (!m) { this.buffer = this.buffer.subarray(end + 4); continue; }
      const length = Number(m[1]);
      if (this.buffer.length < end + 4 + length) break;
      const body = this.buffer.subarray(end + 4, end + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + length);
      try { messages.push(JSON.parse(body)); } catch { /* not JSON: skip the message */ }
    }
    return messages;
  }
}

function encodeFrame(message) {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`, 'ascii'), body]);
}

/**
 * One connection. Events: 'close' (reason), 'notification' (method, params).
 * `sent` keeps the last 200 outgoing messages (tests read it).
 */
class Connection extends EventEmitter {
  constructor(settings) {
    super();
    this.nextId = 0;
    this.callbacks = new Map();
    this.closed = false;
    this.sent = [];
    this.stderrTail = [];
    const spec = parseTransport(settings.transport);
    const decoder = new FrameDecoder();
    const onData = (chunk) => { for (const m of decoder.push(chunk)) this.dispatch(m); };
    if (spec.kind === 'stdio') {
      const args = ['serve'];
      if (settings.model) args.push('--model', settings.model);
      this.process = spawn(settings.binary || 'sedd', args, { stdio: ['pipe', 'pipe', 'pipe'] });
      this.stream = this.process.stdin;
      this.process.stdout.on('data', onData);
      this.process.stderr.on('data', (d) => {
        this.stderrTail.push(...String(d).split('\n').filter(Boolean));
        this.stderrTail = this.stderrTail.slice(-20);
      });
      this.process.on('error', (e) => this.close(`cannot start ${settings.binary}: ${e.message}`));
      this.process.on('exit', (code, signal) => this.close(`daemon exited (code ${code}, signal ${signal})`));
      this.process.stdin.on('error', () => {});
    } else {
      this.stream = spec.kind === 'unix' ? net.createConnection(spec.path) : net.createConnection(spec.port, spec.host);
      this.stream.on('data', onData);
      this.stream.on('error', (e) => this.close(`cannot connect to ${settings.transport}: ${e.message}`));
      this.stream.on('close', () => this.close('connection closed by the daemon'));
    }
  }

  write(message) {
    if (this.closed) return false;
    this.sent.push({ method: message.method, id: message.id, params: message.params });
    if (this.sent.length > 200) this.sent.shift();
    this.stream.write(encodeFrame(message));
    return true;
  }

  /** Sends a request; returns { id, promise }. The promise rejects with the JSON-RPC error object. */
  request(method, params) {
    const id = ++this.nextId;
    const promise = new Promise((resolve, reject) => {
      if (this.closed) { reject({ code: -32099, message: this.closeReason }); return; }
      this.callbacks.set(id, { resolve, reject });
      this.write({ jsonrpc: '2.0', id, method, params: params ?? {} });
    });
    return { id, promise };
  }

  notify(method, params) { this.write({ jsonrpc: '2.0', method, params: params ?? {} }); }

  /** Cancels a request in flight: its promise rejects with RequestCancelled (or resolves late). */
  cancel(id) { if (this.callbacks.has(id)) this.notify('$/cancelRequest', { id }); }

  dispatch(message) {
    if (message.method === undefined && message.id !== undefined && message.id !== null) {
      const callback = this.callbacks.get(message.id);
      if (!callback) return;
      this.callbacks.delete(message.id);
      if (message.error) callback.reject(message.error); else callback.resolve(message.result);
    } else if (message.method) {
      this.emit('notification', message.method, message.params);
    }
  }

  close(reason) {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason + (this.stderrTail.length ? `: ${this.stderrTail[this.stderrTail.length - 1]}` : '');
    for (const { reject } of this.callbacks.values()) reject({ code: -32099, message: this.closeReason });
    this.callbacks.clear();
    if (this.stream && this.stream.destroy && !this.process) this.stream.destroy();
    this.emit('close', this.closeReason);
  }

  /** Ends it: shutdown + exit for a daemon we started (it exits), a plain close for a socket. */
  stop() {
    if (this.closed) return;
    if (this.process) {
      this.request('shutdown', null).promise.catch(() => {}).finally(() => this.notify('exit'));
      const child = this.process;
      setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM'); }, 1000).unref();
    } else {
      this.close('closed by the editor');
    }
  }
}

/**
 * The daemon as the extension sees it: one connection, initialized on demand (checking protocolVersion),
 * with documents kept in sync, started again after it dies (at most 5 times a minute).
 */
class SeddClient extends EventEmitter {
  constructor(getSettings) {
    super();
    this.getSettings = getSettings;
    this.connection = null;
    this.ready = null; // a promise of the initialized connection
    this.info = null;
    this.error = null;
    this.starts = 0;
    this.restarts = [];
    this.synced = new Map(); // uri -> { version } on the current connection
  }

  daemonSettings(s = this.getSettings()) {
    return { steps: s.steps, span: s.span, deadlineMs: s.deadline > 0 ? s.deadline : null };
  }

  /** The initialized connection, started or connected on demand. Rejects with an Error. */
  connect() {
    if (this.ready && this.connection && !this.connection.closed) return this.ready;
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60000);
    if (this.starts > 0) {
      if (this.restarts.length >= 5) {
        return Promise.reject(new Error(`the daemon died 5 times in a minute; run "sedd: Restart" (${this.error})`));
      }
      this.restarts.push(now);
    }
    this.starts += 1;
    const settings = this.getSettings();
    let connection;
    try { connection = new Connection(settings); } catch (e) { this.error = e.message; return Promise.reject(e); }
    this.connection = connection;
    this.synced = new Map();
    connection.on('close', (reason) => {
      if (this.connection === connection) {
        this.connection = null;
        this.ready = null;
        this.error = reason;
        this.emit('close', reason);
      }
    });
    connection.on('notification', (method, params) => this.emit('notification', method, params));
    this.ready = connection.request('initialize', {
      processId: process.pid,
      clientInfo: { name: 'sedd.vscode', version: '1' },
      capabilities: { general: { positionEncodings: ['utf-16'] } },
      initializationOptions: this.daemonSettings(settings),
    }).promise.then((result) => {
      const version = result && result.sedd && result.sedd.protocolVersion;
      if (version !== PROTOCOL_VERSION) {
        throw new Error(`the daemon speaks protocolVersion ${version}; this extension needs ${PROTOCOL_VERSION} `
          + '(update sedd or the extension)');
      }
      this.info = result.sedd;
      this.error = null;
      connection.notify('initialized', {});
      return connection;
    }, (e) => { throw new Error(`initialize failed: ${e.message}`); }).catch((e) => {
      this.error = e.message;
      if (this.connection === connection) { this.connection = null; this.ready = null; }
      connection.stop();
      throw e;
    });
    return this.ready;
  }

  /** Opens (didOpen) or updates (full-text didChange) a document on the connection. */
  sync(connection, doc) {
    const state = this.synced.get(doc.uri);
    if (state && state.version === doc.version) return;
    if (!state) {
      connection.notify('textDocument/didOpen', {
        textDocument: { uri: doc.uri, languageId: doc.languageId, version: doc.version, text: doc.text },
      });
    } else {
      connection.notify('textDocument/didChange', {
        textDocument: { uri: doc.uri, version: doc.version }, contentChanges: [{ text: doc.text }],
      });
    }
    this.synced.set(doc.uri, { version: doc.version });
  }

  close(uri) {
    if (this.synced.delete(uri) && this.connection) {
      this.connection.notify('textDocument/didClose', { textDocument: { uri } });
    }
  }

  settingsChanged() {
    if (this.connection && this.ready) {
      this.connection.notify('workspace/didChangeConfiguration', { settings: { sedd: this.daemonSettings() } });
    }
  }

  stop() {
    const connection = this.connection;
    this.connection = null;
    this.ready = null;
    if (connection) connection.stop();
  }

  restart() {
    this.stop();
    this.starts = 0;
    this.restarts = [];
    this.error = null;
  }
}

module.exports = { SeddClient, Connection, FrameDecoder, encodeFrame, parseTransport, PROTOCOL_VERSION };
