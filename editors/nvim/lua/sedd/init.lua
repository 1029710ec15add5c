-- sedd.nvim: ghost-text code infill from a warm `sedd serve` daemon.
local config = require('sedd.config')
local daemon = require('sedd.daemon')
local ghost = require('sedd.ghost')
local text = require('sedd.text')

local M = {}

local state = {
  enabled = true,
  pending = nil, -- { client, id, buf, tick, row, col, sent_at } of the request in flight
  suggestion = nil, -- { buf, row, col, text } shown as ghost text
  keep = nil, -- { tick, row, col }: the change our own partial accept made, which must not dismiss
  timer = nil,
  last = { latency = nil, steps = nil, error = nil }, -- for the status
  dropped = 0, -- stale answers thrown away (tests read this)
}
M._state = state

local function cursor()
  local pos = vim.api.nvim_win_get_cursor(0)
  return pos[1] - 1, pos[2]
end

local function filetype_enabled(buf)
  local ft = vim.bo[buf].filetype
  local switch = config.options.filetypes[ft]
  if switch == nil then switch = config.options.filetypes['*'] end
  return switch ~= false
end

function M.is_enabled(buf)
  buf = buf or vim.api.nvim_get_current_buf()
  return state.enabled and vim.b[buf].sedd_enabled ~= false and filetype_enabled(buf)
end

local function cancel_pending()
  local pending = state.pending
  state.pending = nil
  if pending then pending.client:cancel(pending.id) end
end

--- Removes the ghost text and cancels the request in flight.
function M.dismiss()
  if state.timer then state.timer:stop() end
  cancel_pending()
  if state.suggestion then ghost.clear(state.suggestion.buf) end
  state.suggestion, state.keep = nil, nil
end

--- The sedd/infill params for a hole at the cursor of `buf` (the document must be synced as `uri`).
function M.request_params(buf, uri, row, col)
  local line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ''
  local position = text.position(row, line, col)
  local o = config.options
  local params = {
    textDocument = { uri = uri },
    ranges = { { start = position, ['end'] = position } },
    languageId = text.language_id(vim.bo[buf].filetype),
  }
  if o.stop and o.stop ~= 'none' then params.stop = o.stop end
  if o.seed then params.seed = o.seed end
  return params
end

local function on_answer(pending, err, result)
  if state.pending ~= pending then -- a newer request was sent meanwhile
    state.dropped = state.dropped + 1
    return
  end
  state.pending = nil
  if err then
    if err.code ~= -32800 then state.last.error = err.message end
    return
  end
  local buf = pending.buf
  local row, col = cursor()
  if vim.api.nvim_get_current_buf() ~= buf or vim.api.nvim_buf_get_changedtick(buf) ~= pending.tick
    or row ~= pending.row or col ~= pending.col then
    state.dropped = state.dropped + 1 -- the buffer or the cursor moved on: the answer is stale
    return
  end
  state.last = { latency = (vim.loop.hrtime() - pending.sent_at) / 1e6, steps = result.steps, error = nil }
  vim.cmd('redrawstatus')
  local item = result.items and result.items[1]
  local fill = item and item.fills and item.fills[1] or ''
  local line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ''
  fill = text.trim_repeat(fill, line:sub(col + 1))
  if fill == '' then return end
  state.suggestion = { buf = buf, row = row, col = col, text = fill }
  ghost.show(buf, row, col, fill)
end

--- Asks for a suggestion at the cursor now (cancelling the one in flight).
function M.trigger()
  local buf = vim.api.nvim_get_current_buf()
  local row, col = cursor()
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  M.dismiss()
  daemon.with_client(function(client, err)
    if not client then
      state.last.error = err
      return
    end
    -- the connection may have taken a while: only ask if nothing moved meanwhile
    if vim.api.nvim_get_current_buf() ~= buf or vim.api.nvim_buf_get_changedtick(buf) ~= tick then return end
    local r, c = cursor()
    if r ~= row or c ~= col then return end
    cancel_pending()
    local uri = daemon.sync(client, buf)
    local pending = { client = client, buf = buf, tick = tick, row = row, col = col, sent_at = vim.loop.hrtime() }
    pending.id = client:request('sedd/infill', M.request_params(buf, uri, row, col), function(e, result)
      on_answer(pending, e, result)
    end)
    if pending.id then state.pending = pending end
  end)
end

--- Typing or moving in insert mode: drop the suggestion and ask again after the debounce.
function M.on_change()
  local buf = vim.api.nvim_get_current_buf()
  local row, col = cursor()
  local keep = state.keep
  if keep and keep.tick == vim.api.nvim_buf_get_changedtick(buf) and keep.row == row and keep.col == col then
    return -- our own partial accept: the rest of the suggestion stays
  end
  M.dismiss()
  if not M.is_enabled(buf) then return end
  state.timer = state.timer or vim.loop.new_timer()
  state.timer:start(config.options.debounce, 0, vim.schedule_wrap(function()
    if vim.fn.mode():sub(1, 1) == 'i' then M.trigger() end
  end))
end

--- Inserts all of the suggestion, its first line or its first word; the rest stays as ghost text.
--- Returns false when there is no suggestion at the cursor.
function M.accept(kind)
  local s = state.suggestion
  local row, col = cursor()
  if not s or s.buf ~= vim.api.nvim_get_current_buf() or s.row ~= row or s.col ~= col then return false end
  local piece = text.take(s.text, kind or 'all')
  local lines = text.split_lines(piece)
  M.dismiss()
  vim.api.nvim_buf_set_text(s.buf, row, col, row, col, lines)
  local new_row = row + #lines - 1
  local new_col = (#lines == 1 and col or 0) + #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { new_row + 1, new_col })
  local rest = s.text:sub(#piece + 1)
  if rest ~= '' then
    state.suggestion = { buf = s.buf, row = new_row, col = new_col, text = rest }
    state.keep = { tick = vim.api.nvim_buf_get_changedtick(s.buf), row = new_row, col = new_col }
    ghost.show(s.buf, new_row, new_col, rest)
  end
  return true
end

function M.has_suggestion() return state.suggestion ~= nil end

--- Replaces the text between two (0-based row, byte column) positions, end exclusive, with a fill of
--- `span` tokens; callback(err) when done.
function M.fill_range(buf, srow, scol, erow, ecol, callback)
  callback = callback or function(err) if err then vim.notify('sedd: ' .. err, vim.log.levels.WARN) end end
  M.dismiss()
  local tick = vim.api.nvim_buf_get_changedtick(buf)
  daemon.with_client(function(client, err)
    if not client then return callback(err) end
    local uri = daemon.sync(client, buf)
    local lines = vim.api.nvim_buf_get_lines(buf, srow, erow + 1, false)
    local params = {
      textDocument = { uri = uri },
      ranges = { { start = text.position(srow, lines[1], scol), ['end'] = text.position(erow, lines[#lines], ecol) } },
      length = config.options.span,
      languageId = text.language_id(vim.bo[buf].filetype),
    }
    if config.options.seed then params.seed = config.options.seed end
    local sent_at = vim.loop.hrtime()
    client:request('sedd/infill', params, function(e, result)
      if e then
        state.last.error = e.message
        return callback(e.message)
      end
      if vim.api.nvim_buf_get_changedtick(buf) ~= tick then return callback('the buffer changed; fill dropped') end
      state.last = { latency = (vim.loop.hrtime() - sent_at) / 1e6, steps = result.steps, error = nil }
      local fill = result.items[1] and result.items[1].fills[1] or ''
      vim.api.nvim_buf_set_text(buf, srow, scol, erow, ecol, text.split_lines(fill))
      callback(nil, fill)
    end)
  end)
end

--- :SeddFill on the last visual selection (characterwise or linewise).
function M.fill_selection()
  local buf = vim.api.nvim_get_current_buf()
  local s, e = vim.fn.getpos("'<"), vim.fn.getpos("'>")
  local srow, erow = s[2] - 1, e[2] - 1
  local last = vim.api.nvim_buf_get_lines(buf, erow, erow + 1, false)[1] or ''
  local scol, ecol
  if vim.fn.visualmode() == 'V' then
    scol, ecol = 0, #last
  else
    scol, ecol = s[3] - 1, math.min(#last, text.char_end(last, e[3]))
  end
  M.fill_range(buf, srow, scol, erow, ecol)
end

function M.enable(on)
  if on == nil then on = not state.enabled end
  state.enabled = on
  if not on then M.dismiss() end
  vim.notify('sedd: suggestions ' .. (on and 'on' or 'off'))
end

--- A short status for the status line: 'sedd 83ms 16 steps', 'sedd off', 'sedd: <error>'.
function M.statusline()
  if not M.is_enabled() then return 'sedd off' end
  if state.last.error then return 'sedd: ' .. state.last.error end
  if daemon.error and not daemon.client then return 'sedd: ' .. daemon.error end
  if state.pending then return 'sedd …' end
  if state.last.latency then return ('sedd %dms %d steps'):format(state.last.latency + 0.5, state.last.steps) end
  return 'sedd'
end

function M.status()
  local o = config.options
  local lines = {
    M.statusline(),
    ('transport %s, binary %s, model %s'):format(o.transport, o.binary, o.model ~= '' and o.model or '(default)'),
    ('steps %d, span %d, debounce %dms, deadline %s'):format(o.steps, o.span, o.debounce,
      o.deadline > 0 and (o.deadline .. 'ms') or 'none'),
  }
  if daemon.info then
    table.insert(lines, ('daemon: model %s, context %d tokens'):format(daemon.info.model, daemon.info.contextLength))
  end
  if daemon.error then table.insert(lines, 'last connection error: ' .. daemon.error) end
  return table.concat(lines, '\n')
end

local function map_keys(o)
  local k = o.keys
  local function fallback(key)
    return function() vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes(key, true, false, true), 'n', false) end
  end
  local function accepting(kind, key)
    local otherwise = fallback(key)
    return function() if not M.accept(kind) then otherwise() end end
  end
  if k.accept then vim.keymap.set('i', k.accept, accepting('all', k.accept), { desc = 'sedd: accept' }) end
  if k.accept_line then vim.keymap.set('i', k.accept_line, accepting('line', k.accept_line), { desc = 'sedd: accept line' }) end
  if k.accept_word then vim.keymap.set('i', k.accept_word, accepting('word', k.accept_word), { desc = 'sedd: accept word' }) end
  if k.trigger then vim.keymap.set('i', k.trigger, M.trigger, { desc = 'sedd: suggest now' }) end
  if k.dismiss then
    local otherwise = fallback(k.dismiss)
    vim.keymap.set('i', k.dismiss, function() if state.suggestion then M.dismiss() else otherwise() end end,
      { desc = 'sedd: dismiss' })
  end
  if k.fill then vim.keymap.set('x', k.fill, ':<C-U>SeddFill<CR>', { silent = true, desc = 'sedd: fill selection' }) end
end

--- Applies settings (see :help sedd-settings); may be called again to change them.
function M.setup(user)
  local before = vim.deepcopy(config.options)
  local o = config.set(user)
  state.enabled = o.enabled
  if o.keymaps then map_keys(o) end
  if before.transport ~= o.transport or before.binary ~= o.binary or before.model ~= o.model then
    daemon.restart()
  elseif before.steps ~= o.steps or before.span ~= o.span or before.deadline ~= o.deadline then
    daemon.settings_changed()
  end
  M.configured = true
end

M.daemon = daemon
return M
