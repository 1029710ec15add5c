-- sedd.nvim logic tests against the real daemon. Run by nvim/tests/run:
--   SEDD_BINARY=... SEDD_TEST_MODEL=... nvim --headless -u NONE -i NONE -c 'luafile logic.lua' -c 'cquit 1'
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
vim.opt.runtimepath:prepend(here)
vim.cmd('runtime plugin/sedd.lua')
local sedd = require('sedd')
local text = require('sedd.text')
local daemon = require('sedd.daemon')
local binary, model = os.getenv('SEDD_BINARY'), os.getenv('SEDD_TEST_MODEL')

local failures, passed = {}, 0
local function check(cond, message) if not cond then error(message or 'check failed', 2) end end
local function eq(got, want, what)
  if not vim.deep_equal(got, want) then
    error(('%s: got %s, want %s'):format(what or 'value', vim.inspect(got), vim.inspect(want)), 2)
  end
end
local function wait(ms, cond, what) check(vim.wait(ms, cond, 10), 'timed out waiting for ' .. what) end

local function base_settings(extra)
  return vim.tbl_extend('force', {
    binary = binary, model = model, steps = 4, span = 8, debounce = 20, seed = 11, keymaps = false,
  }, extra or {})
end

local function fresh_buffer(lines, filetype)
  vim.cmd('enew!')
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = filetype or ''
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  return buf
end

local function sent(method)
  local found = {}
  for _, m in ipairs(daemon.client and daemon.client.sent or {}) do
    if m.method == method then table.insert(found, m) end
  end
  return found
end

local function wait_suggestion(what)
  wait(10000, function() return sedd._state.suggestion ~= nil end, what or 'a suggestion')
  return sedd._state.suggestion
end

local tests = {}
local function test(name, fn) table.insert(tests, { name = name, fn = fn }) end

test('UTF-16 columns count surrogate pairs and multi-byte characters', function()
  eq(text.utf16_len('aé😀b'), 5, 'utf16_len')
  eq(text.position(3, 'héllo 😀 wörld', 11), { line = 3, character = 8 }, 'position after the emoji')
  eq(text.position(0, '日本語', 6), { line = 0, character = 2 }, 'CJK')
end)

test('accept word / line / all split the suggestion', function()
  eq(text.take('  foo.bar(x)\nnext', 'word'), '  foo', 'word')
  eq(text.take('.bar(x)', 'word'), '.', 'punctuation word')
  eq(text.take('\nnext line', 'word'), '\n', 'newline word')
  eq(text.take('foo bar\nbaz', 'line'), 'foo bar', 'line')
  eq(text.take('\n  baz\nqux', 'line'), '\n  baz', 'line after a newline')
  eq(text.take('a\nb', 'all'), 'a\nb', 'all')
  eq(text.trim_repeat('foo)', ')'), 'foo', 'trim a repeated closing bracket')
  eq(text.display('a\tb\1', 2), 'a  b^A', 'display escaping')
end)

test('request building from the buffer: document, UTF-16 range, languageId, options', function()
  sedd.setup(base_settings({ stop = 'line' }))
  local buf = fresh_buffer({ 'x = 1', 'héllo 😀 wörld' }, 'python')
  local params = sedd.request_params(buf, 'file:///t.py', 1, 11)
  eq(params.textDocument, { uri = 'file:///t.py' }, 'textDocument')
  eq(params.ranges, { { start = { line = 1, character = 8 }, ['end'] = { line = 1, character = 8 } } }, 'ranges')
  eq(params.languageId, 'python', 'languageId')
  eq(params.stop, 'line', 'stop')
  eq(params.seed, 11, 'seed')
end)

test('first suggestion: initialize with settings, didOpen with languageId, ghost text, status', function()
  sedd.setup(base_settings())
  local buf = fresh_buffer({ 'def add(a, b):', '    return a + b  # 😀 é', 'print(add(1, 2))' }, 'python')
  vim.api.nvim_win_set_cursor(0, { 2, #'    return a + b  # 😀' })
  sedd.trigger()
  local s = wait_suggestion()
  local init = sent('initialize')[1]
  eq(init.params.initializationOptions.steps, 4, 'initializationOptions.steps')
  eq(init.params.initializationOptions.span, 8, 'initializationOptions.span')
  check(daemon.info and daemon.info.protocolVersion == 1, 'protocolVersion read from initialize')
  local open = sent('textDocument/didOpen')[1]
  eq(open.params.textDocument.languageId, 'python', 'didOpen languageId')
  eq(open.params.textDocument.text, 'def add(a, b):\n    return a + b  # 😀 é\nprint(add(1, 2))\n', 'didOpen text')
  local infill = sent('sedd/infill')[1]
  eq(infill.params.ranges[1].start, { line = 1, character = 22 }, 'UTF-16 cursor column')
  eq(s.buf, buf, 'suggestion buffer')
  local marks = vim.api.nvim_buf_get_extmarks(buf, require('sedd.ghost').namespace, 0, -1, { details = true })
  eq(#marks, 1, 'one ghost extmark')
  eq(marks[1][2], 1, 'extmark row')
  eq(marks[1][3], #'    return a + b  # 😀', 'extmark column')
  check(sedd.statusline():match('^sedd %d+ms 4 steps$'), 'status line: ' .. sedd.statusline())
end)

test('accept all inserts the daemon fill at the cursor (non-ASCII line)', function()
  local line = 'héllo 😀 wörld'
  fresh_buffer({ line }, 'text')
  vim.api.nvim_win_set_cursor(0, { 1, 11 })
  sedd.trigger()
  local s = wait_suggestion()
  check(sedd.accept('all'), 'accept returned false')
  local want = text.split_lines(line:sub(1, 11) .. s.text .. line:sub(12))
  eq(vim.api.nvim_buf_get_lines(0, 0, -1, false), want, 'buffer after accept')
  check(not sedd.has_suggestion(), 'no suggestion left')
end)

test('accept word, then line, then all, keeping the rest as ghost text', function()
  local buf = fresh_buffer({ 'ab' }, 'text')
  vim.api.nvim_win_set_cursor(0, { 1, 1 })
  sedd._state.suggestion = { buf = buf, row = 0, col = 1, text = 'foo bar baz\nqux' }
  check(sedd.accept('word'), 'accept word')
  eq(vim.api.nvim_buf_get_lines(buf, 0, -1, false), { 'afoob' }, 'after word')
  eq(sedd._state.suggestion.text, ' bar baz\nqux', 'rest after word')
  sedd.on_change() -- the change our own accept made must not dismiss the rest
  eq(sedd._state.suggestion and sedd._state.suggestion.text, ' bar baz\nqux', 'rest kept after on_change')
  check(sedd.accept('line'), 'accept line')
  eq(vim.api.nvim_buf_get_lines(buf, 0, -1, false), { 'afoo bar bazb' }, 'after line')
  check(sedd.accept('all'), 'accept all')
  eq(vim.api.nvim_buf_get_lines(buf, 0, -1, false), { 'afoo bar baz', 'quxb' }, 'after all')
  eq(vim.api.nvim_win_get_cursor(0), { 2, 3 }, 'cursor after all')
  check(not sedd.accept('all'), 'nothing left to accept')
end)

test('cancel-then-send: a new request cancels the one in flight; its answer is dropped', function()
  fresh_buffer({ 'let x = 1;' }, 'rust')
  vim.api.nvim_win_set_cursor(0, { 1, 3 })
  sedd.trigger()
  local first = sedd._state.pending
  check(first and first.id, 'first request in flight')
  local dropped = sedd._state.dropped
  sedd.trigger()
  local second = sedd._state.pending
  check(second and second.id and second.id ~= first.id, 'second request in flight')
  local log = daemon.client.sent
  local cancel_at, second_at
  for i, m in ipairs(log) do
    if m.method == '$/cancelRequest' and m.params.id == first.id then cancel_at = i end
    if m.method == 'sedd/infill' and m.id == second.id then second_at = i end
  end
  check(cancel_at and second_at and cancel_at < second_at, 'cancel of the first before the second request')
  wait_suggestion()
  wait(5000, function() return sedd._state.dropped > dropped end, 'the first answer to be dropped')
end)

test('a stale answer (buffer changed while it was computed) is not drawn', function()
  local buf = fresh_buffer({ 'abc' }, 'text')
  vim.api.nvim_win_set_cursor(0, { 1, 1 })
  sedd.trigger()
  local pending = sedd._state.pending
  check(pending, 'request in flight')
  local dropped = sedd._state.dropped
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { 'abcd' }) -- no autocmd: the request stays in flight
  wait(5000, function() return sedd._state.pending == nil end, 'the answer')
  eq(sedd._state.dropped, dropped + 1, 'dropped count')
  check(not sedd.has_suggestion(), 'no suggestion drawn')
end)

test('fill a selection: sedd/infill with ranges and length = span replaces it', function()
  local buf = fresh_buffer({ 'før XYZ', 'mid', 'ABC after' }, 'text')
  local done, fill
  sedd.fill_range(buf, 0, #'før ', 2, 3, function(err, f) done, fill = err or true, f end)
  wait(10000, function() return done ~= nil end, 'the fill')
  eq(done, true, 'fill error')
  local req = sent('sedd/infill')
  req = req[#req]
  eq(req.params.length, 8, 'length = span')
  eq(req.params.ranges[1], { start = { line = 0, character = 4 }, ['end'] = { line = 2, character = 3 } }, 'range')
  eq(table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n'), 'før ' .. fill .. ' after', 'buffer')
end)

test('per-file-type switch and toggle stop automatic requests', function()
  sedd.setup(base_settings({ filetypes = { markdown = false, ['*'] = true } }))
  local buf = fresh_buffer({ '# title' }, 'markdown')
  check(not sedd.is_enabled(buf), 'markdown disabled')
  vim.bo[buf].filetype = 'lua'
  check(sedd.is_enabled(buf), 'lua enabled')
  sedd.enable(false)
  check(not sedd.is_enabled(buf), 'toggled off')
  sedd.enable(true)
  check(sedd.is_enabled(buf), 'toggled on')
end)

test('the daemon is started again after it dies; documents are reopened', function()
  local starts = daemon.starts
  local client = daemon.client
  check(client and client.process, 'a daemon process')
  client.process:kill('sigkill')
  wait(5000, function() return daemon.client == nil end, 'the exit to be seen')
  check(daemon.error and daemon.error:match('exited'), 'error says it exited: ' .. tostring(daemon.error))
  fresh_buffer({ 'again' }, 'text')
  vim.api.nvim_win_set_cursor(0, { 1, 2 })
  sedd.trigger()
  wait_suggestion('a suggestion from the new daemon')
  eq(daemon.starts, starts + 1, 'one new start')
  eq(#sent('textDocument/didOpen'), 1, 'didOpen again on the new connection')
end)

local function socket_test(transport, listen)
  daemon.stop()
  local job = vim.fn.jobstart({ binary, 'serve', '--model', model, '--listen', listen })
  check(job > 0, 'daemon started')
  sedd.setup(base_settings({ transport = transport }))
  local ok = false
  for _ = 1, 50 do -- the socket appears once the model is loaded
    fresh_buffer({ 'sock' }, 'text')
    vim.api.nvim_win_set_cursor(0, { 1, 2 })
    sedd.trigger()
    vim.wait(3000, function() return sedd._state.suggestion ~= nil or daemon.error ~= nil end, 10)
    if sedd._state.suggestion then ok = true break end
    daemon.restart()
    vim.wait(100)
  end
  check(ok, 'a suggestion over ' .. transport .. ' (' .. tostring(daemon.error) .. ')')
  check(daemon.client and daemon.client.process == nil, 'no process of our own')
  daemon.stop()
  vim.fn.jobstop(job)
end

test('unix socket transport', function()
  local path = vim.fn.tempname() .. '.sock'
  socket_test('unix:' .. path, 'unix:' .. path)
end)

test('tcp transport', function()
  local port = 20000 + vim.fn.getpid() % 20000
  socket_test('tcp:127.0.0.1:' .. port, 'tcp:127.0.0.1:' .. port)
end)

test('a daemon with another protocolVersion is refused with a clear error', function()
  local fake = vim.fn.tempname()
  local body = '{"jsonrpc":"2.0","id":1,"result":{"capabilities":{},"sedd":{"protocolVersion":2}}}'
  vim.fn.writefile({ '#!/bin/sh', ('printf \'Content-Length: %d\\r\\n\\r\\n%%s\' \'%s\''):format(#body, body),
    'exec cat >/dev/null' }, fake)
  vim.fn.setfperm(fake, 'rwx------')
  sedd.setup(base_settings({ binary = fake }))
  fresh_buffer({ 'x' }, 'text')
  sedd.trigger()
  wait(5000, function() return daemon.error ~= nil end, 'the refusal')
  check(daemon.error:match('protocolVersion 2'), 'error names the version: ' .. daemon.error)
  check(daemon.client == nil, 'not connected')
  sedd.setup(base_settings())
end)

test("Neovim's built-in vim.lsp client gets an infill from the daemon (no plugin involved)", function()
  local id = vim.lsp.start_client({ name = 'sedd-raw', cmd = { binary, 'serve', '--model', model } })
  check(id, 'vim.lsp.start_client returned no client')
  local client
  wait(20000, function()
    client = vim.lsp.get_client_by_id(id)
    return client ~= nil and client.initialized == true
  end, 'the LSP handshake')
  local params = { prefix = 'local x = ', suffix = '\nreturn x\n', length = 4, steps = 2, seed = 5 }
  local result, err
  local function handler(e, r) err, result = e, r end
  if vim.fn.has('nvim-0.11') == 1 then
    client:request('sedd/infill', params, handler)
  else
    client.request('sedd/infill', params, handler)
  end
  wait(20000, function() return result ~= nil or err ~= nil end, 'the sedd/infill answer')
  check(err == nil, 'error: ' .. vim.inspect(err))
  local item = result.items[1]
  eq(type(item.fills[1]), 'string', 'fills[1]')
  eq(item.text, params.prefix .. item.fills[1] .. params.suffix, 'text outside the hole kept')
  if vim.fn.has('nvim-0.11') == 1 then client:stop() else client.stop() end
  wait(10000, function() return vim.lsp.get_client_by_id(id) == nil end, 'the client to stop')
end)

for _, t in ipairs(tests) do
  local ok, err = pcall(t.fn)
  if ok then
    passed = passed + 1
    io.stdout:write('  ok   ' .. t.name .. '\n')
  else
    table.insert(failures, t.name)
    io.stdout:write('  FAIL ' .. t.name .. ': ' .. tostring(err) .. '\n')
  end
  sedd.dismiss()
end
daemon.stop()
io.stdout:write(('nvim %s logic: %d passed, %d failed\n'):format(
  tostring(vim.version().major .. '.' .. vim.version().minor .. '.' .. vim.version().patch), passed, #failures))
vim.wait(200)
vim.cmd(#failures == 0 and 'qall!' or 'cquit 1')
