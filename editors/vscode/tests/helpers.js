'use strict';
// Test helpers: the sedd binary (SEDD_BINARY, else .build*/{release,debug}/sedd from the repo root) and a
// tiny random-weight model made by `sedd init` in a temp dir (SEDD_TEST_MODEL reuses one).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const repo = path.resolve(__dirname, '..', '..', '..');

function seddBinary() {
  if (process.env.SEDD_BINARY) return process.env.SEDD_BINARY;
  const found = [];
  for (const dir of fs.readdirSync(repo).filter((d) => d.startsWith('.build'))) {
    for (const config of ['release', 'debug']) {
      const candidate = path.join(repo, dir, config, 'sedd');
      if (fs.existsSync(candidate)) found.push({ candidate, time: fs.statSync(candidate).mtimeMs });
    }
  }
  if (!found.length) throw new Error('no sedd binary: set SEDD_BINARY or build one');
  return found.sort((a, b) => b.time - a.time)[0].candidate;
}

let model = process.env.SEDD_TEST_MODEL;
function testModel() {
  if (!model) {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sedd-vscode-')), 'model');
    execFileSync(seddBinary(), ['init', '--config', path.join(repo, 'configs', 'tiny-bytes.json'), '--out', dir,
      '--seed', '7'], { stdio: 'ignore' });
    model = dir;
  }
  return model;
}

function settings(extra = {}) {
  return {
    enable: true, binary: seddBinary(), model: testModel(), transport: 'stdio', steps: 4, span: 8, debounce: 10,
    deadline: 0, stop: 'none', seed: 11, disabledLanguages: [], ...extra,
  };
}

async function waitFor(predicate, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return predicate();
}

module.exports = { seddBinary, testModel, settings, waitFor };
