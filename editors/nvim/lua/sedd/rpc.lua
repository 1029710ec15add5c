-- A JSON-RPC 2.0 client with LSP Content-Length framing over a child's stdio, a Unix socket or TCP.
-- Runs on Neovim 0.7+ (vim.loop); libuv callbacks only decode and hand over via vim.schedule.
local uv = vim.loop
local M = {}

local Client = {}
Client.__index = Client

-- Splits 'unix:PATH' / 'tcp:HOST:PORT' / 'stdio' into a table, or nil and a message.
function M.parse_transport(t)
  if t == nil or t == '' or t == 'stdio' then return { kind = 'stdio' } end
  local path = t:match('^unix:(.+)$')
  if path then return { kind = 'unix', path = path } end
  local host, port = t:match('^tcp:(.+):(%d+)$')
  if host then return { kind = 'tcp', host = host:gsub('^%[(.*)%]$', '%1'), port = tonumber(port) } end
  return nil, "transport must be 'stdio', 'unix:PATH' or 'tcp:HOST:PORT', got '" .. tostring(t) .. "'"
end

-- Decodes as many whole messages as the buffer holds; returns the messages and the rest.
function M.decode_frames(buffer)
  local messages = {}
  while true do
    local header_end = buffer:find('\r\n\r\n', 1, true)
    if not header_end then break end
    local header = buffer:sub(1, header_end - 1)
    local length = tonumber(header:lower():match('content%-length:%s*(%d+)'))
    if not length then -- not a valid header: drop it and resynchronise on the next one
      buffer = buffer:sub(header_end + 4)
    else
      if #buffer < header_end + 3 + length then break end
      local body = buffer:sub(header_end + 4, header_end + 3 + length)
      buffer = buffer:sub(header_end + 4 + length)
      local ok, message = pcall(vim.json.decode, body)
      if ok and type(message) == 'table' then table.insert(messages, message) end
    end
  end
  return messages, buffer
end

function M.encode_frame(message)
  local body = vim.json.encode(message)
  return 'Content-Length: ' .. #body .. '\r\n\r\n' .. body
end

--- opts: transport (string), command (argv list for stdio), on_notification(method, params),
--- on_close(reason): called once when the process exits or the socket closes.
function M.connect(opts)
  local spec, err = M.parse_transport(opts.transport)
  if not spec then return nil, err end
  local self = setmetatable({
    next_id = 0, callbacks = {}, buffer = '', closed = false, sent = {}, stderr_tail = {},
    on_notification = opts.on_notification or function() end, on_close = opts.on_close or function() end,
    queue = {}, connected = false,
  }, Client)

  local function on_read(read_err, data)
    if read_err or not data then
      -- a daemon we started is reported (and cleaned up) by its exit callback instead
      if not self.process or read_err then
        self:_close(read_err and ('read error: ' .. read_err) or 'connection closed by the daemon')
      end
      return
    end
    local messages
    messages, self.buffer = M.decode_frames(self.buffer .. data)
    if #messages > 0 then vim.schedule(function() for _, m in ipairs(messages) do self:_dispatch(m) end end) end
  end

  if spec.kind == 'stdio' then
    local stdin, stdout, stderr = uv.new_pipe(false), uv.new_pipe(false), uv.new_pipe(false)
    local argv = opts.command
    local handle, pid_or_err = uv.spawn(argv[1], { args = vim.list_slice(argv, 2), stdio = { stdin, stdout, stderr } },
      function(code, signal)
        self.exit = { code = code, signal = signal }
        self:_close(('daemon exited (code %d, signal %d)'):format(code, signal))
      end)
    if not handle then
      for _, p in ipairs({ stdin, stdout, stderr }) do p:close() end
      return nil, 'cannot start ' .. tostring(argv[1]) .. ': ' .. tostring(pid_or_err)
    end
    self.process, self.pid, self.stream, self.pipes = handle, pid_or_err, stdin, { stdin, stdout, stderr }
    stdout:read_start(on_read)
    stderr:read_start(function(_, data)
      if data then
        for line in data:gmatch('[^\n]+') do
          table.insert(self.stderr_tail, line)
          if #self.stderr_tail > 20 then table.remove(self.stderr_tail, 1) end
        end
      end
    end)
    self.connected = true
  else
    local stream = spec.kind == 'unix' and uv.new_pipe(false) or uv.new_tcp()
    self.stream, self.pipes = stream, { stream }
    local function done(connect_err)
      if connect_err then
        self:_close('cannot connect to ' .. opts.transport .. ': ' .. connect_err)
        return
      end
      self.connected = true
      stream:read_start(on_read)
      for _, frame in ipairs(self.queue) do stream:write(frame) end
      self.queue = {}
    end
    if spec.kind == 'unix' then
      stream:connect(spec.path, done)
    else
      local host = spec.host
      if not host:match('^[%d%.]+$') and not host:find(':') then
        local infos = uv.getaddrinfo(host, nil, { socktype = 'stream' })
        host = infos and infos[1] and infos[1].addr or host
      end
      stream:connect(host, spec.port, done)
    end
  end
  return self
end

function Client:_write(message)
  if self.closed then return false end
  table.insert(self.sent, { method = message.method, id = message.id, params = message.params })
  if #self.sent > 200 then table.remove(self.sent, 1) end
  local frame = M.encode_frame(message)
  if self.connected then self.stream:write(frame) else table.insert(self.queue, frame) end
  return true
end

--- Sends a request; callback(err, result) runs on the main loop. Returns the request id.
function Client:request(method, params, callback)
  self.next_id = self.next_id + 1
  local id = self.next_id
  self.callbacks[id] = callback
  if not self:_write({ jsonrpc = '2.0', id = id, method = method, params = params or vim.empty_dict() }) then
    self.callbacks[id] = nil
    return nil
  end
  return id
end

function Client:notify(method, params)
  return self:_write({ jsonrpc = '2.0', method = method, params = params or vim.empty_dict() })
end

--- Cancels a request: its callback still runs once, with the RequestCancelled error or a late result.
function Client:cancel(id)
  if id and self.callbacks[id] then self:notify('$/cancelRequest', { id = id }) end
end

function Client:_dispatch(message)
  if message.id ~= nil and message.id ~= vim.NIL and message.method == nil then
    local callback = self.callbacks[message.id]
    self.callbacks[message.id] = nil
    if callback then
      local err = message.error
      if err == vim.NIL then err = nil end
      callback(err, err == nil and message.result or nil)
    end
  elseif message.method then
    self.on_notification(message.method, message.params)
  end
end

function Client:_close(reason)
  if self.closed then return end
  self.closed = true
  self.close_reason = reason
  vim.schedule(function()
    for _, p in ipairs(self.pipes or {}) do
      if not p:is_closing() then p:close() end
    end
    if self.process and not self.process:is_closing() then self.process:close() end
    local callbacks = self.callbacks
    self.callbacks = {}
    for _, callback in pairs(callbacks) do callback({ code = -32099, message = reason }, nil) end
    self.on_close(reason)
  end)
end

--- Ends the connection: shutdown + exit for a daemon we started (it exits), a plain close for a socket.
function Client:stop()
  if self.closed then return end
  if self.process then
    self:request('shutdown', nil, function() self:notify('exit') end)
    local process = self.process
    vim.defer_fn(function()
      if not process:is_closing() then process:kill('sigterm') end
    end, 1000)
  else
    self:_close('closed by the editor')
  end
end

return M
