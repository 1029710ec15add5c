-- The one connection to the daemon: start or connect, initialize (checking protocolVersion 1), keep
-- buffers' documents in sync, and start again after the daemon dies.
local rpc = require('sedd.rpc')
local config = require('sedd.config')
local text = require('sedd.text')

local M = {
  client = nil, -- the rpc client once initialize succeeded
  connecting = nil, -- the rpc client while initialize is in flight
  waiting = {}, -- callbacks for when the client is ready
  info = nil, -- initialize's `sedd` object
  error = nil, -- the last connection error
  synced = {}, -- buf -> { uri, version, tick } on the current connection
  restarts = {}, -- times of recent automatic restarts
  starts = 0, -- connections made (tests read this)
}

M.PROTOCOL_VERSION = 1

local function command(o)
  local argv = { o.binary, 'serve' }
  if o.model and o.model ~= '' then vim.list_extend(argv, { '--model', o.model }) end
  return argv
end

local function fail_waiting(message)
  local waiting = M.waiting
  M.waiting = {}
  for _, callback in ipairs(waiting) do callback(nil, message) end
end

local function on_close(client, reason)
  if M.client == client or M.connecting == client then
    M.client, M.connecting, M.synced = nil, nil, {}
    M.error = reason .. (client.stderr_tail[1] and (': ' .. client.stderr_tail[#client.stderr_tail]) or '')
    fail_waiting(M.error)
  end
end

--- Calls callback(client) once a connection is ready, starting one if needed; callback(nil, err) on failure.
--- A daemon that died is started again, at most 5 times a minute (then :SeddRestart is needed).
function M.with_client(callback)
  if M.client and not M.client.closed then return callback(M.client) end
  table.insert(M.waiting, callback)
  if M.connecting then return end
  local now = vim.loop.now()
  M.restarts = vim.tbl_filter(function(t) return now - t < 60000 end, M.restarts)
  if M.starts > 0 then
    if #M.restarts >= 5 then
      fail_waiting('the daemon died 5 times in a minute; :SeddRestart tries again (' .. tostring(M.error) .. ')')
      return
    end
    table.insert(M.restarts, now)
  end
  M.starts = M.starts + 1
  local o = config.options
  local client
  local err
  client, err = rpc.connect({
    transport = o.transport,
    command = command(o),
    on_close = function(reason) on_close(client, reason) end,
    on_notification = function() end,
  })
  if not client then
    M.error = err
    fail_waiting(err)
    return
  end
  M.connecting = client
  client:request('initialize', {
    processId = vim.fn.getpid(),
    clientInfo = { name = 'sedd.nvim', version = '1' },
    capabilities = { general = { positionEncodings = { 'utf-16' } } },
    initializationOptions = config.daemon_settings(o),
  }, function(init_err, result)
    if M.connecting ~= client then return end
    M.connecting = nil
    local version = result and type(result.sedd) == 'table' and result.sedd.protocolVersion
    if init_err or version ~= M.PROTOCOL_VERSION then
      M.error = init_err and ('initialize failed: ' .. tostring(init_err.message))
        or ('the daemon speaks protocolVersion ' .. tostring(version) .. '; this plugin needs '
          .. M.PROTOCOL_VERSION .. ' (update sedd or the plugin)')
      client:stop()
      fail_waiting(M.error)
      return
    end
    M.info, M.error, M.client = result.sedd, nil, client
    client:notify('initialized', vim.empty_dict())
    local waiting = M.waiting
    M.waiting = {}
    for _, callback in ipairs(waiting) do callback(client) end
  end)
end

--- Sends the settings the daemon keeps per connection after a setup() change.
function M.settings_changed()
  if M.client then
    M.client:notify('workspace/didChangeConfiguration', { settings = { sedd = config.daemon_settings() } })
  end
end

function M.uri(buf)
  local name = vim.api.nvim_buf_get_name(buf)
  if name == '' then return 'untitled:buffer-' .. buf end
  return vim.uri_from_fname(vim.fn.fnamemodify(name, ':p'))
end

--- Opens the buffer's document on the connection, or sends its full text if it changed since.
function M.sync(client, buf)
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  local state = M.synced[buf]
  if state and state.tick == tick then return state.uri end
  local body = text.document_text(vim.api.nvim_buf_get_lines(buf, 0, -1, false),
    vim.bo[buf].eol or vim.bo[buf].fixeol)
  if not state then
    state = { uri = M.uri(buf), version = 0, tick = tick }
    M.synced[buf] = state
    client:notify('textDocument/didOpen', { textDocument = {
      uri = state.uri, languageId = text.language_id(vim.bo[buf].filetype), version = 0, text = body } })
  else
    state.version, state.tick = state.version + 1, tick
    client:notify('textDocument/didChange', {
      textDocument = { uri = state.uri, version = state.version }, contentChanges = { { text = body } } })
  end
  return state.uri
end

function M.close_buffer(buf)
  local state = M.synced[buf]
  M.synced[buf] = nil
  if state and M.client then M.client:notify('textDocument/didClose', { textDocument = { uri = state.uri } }) end
end

function M.stop()
  local client = M.client or M.connecting
  M.client, M.connecting, M.synced = nil, nil, {}
  if client then client:stop() end
end

function M.restart()
  M.stop()
  M.restarts, M.starts, M.error = {}, 0, nil
end

return M
