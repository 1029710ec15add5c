-- Every setting of sedd.nvim and its default, in one place (documented in doc/sedd.txt).
local M = {}

M.defaults = {
  enabled = true, -- ghost text while typing (the manual trigger works regardless)
  binary = 'sedd', -- the sedd executable (a name on $PATH or a path)
  model = '', -- model directory for `sedd serve --model`; '' = the daemon's default model
  transport = 'stdio', -- 'stdio' (start `sedd serve`), 'unix:/path/to/socket' or 'tcp:127.0.0.1:PORT'
  steps = 16, -- denoising steps per suggestion (1..1024)
  span = 32, -- hole size in model tokens (ghost text and selection fills)
  debounce = 150, -- milliseconds of quiet typing before a request is sent
  deadline = 0, -- milliseconds; > 0 lets the daemon lower the steps to fit; 0 = no deadline
  stop = 'none', -- 'line': single-line suggestions; 'none': multi-line
  seed = nil, -- a number makes suggestions reproducible (tests); nil = random
  filetypes = { ['*'] = true }, -- per-file-type switch: { markdown = false, ['*'] = true }
  keymaps = true, -- install the default insert/visual mode keys below
  keys = {
    accept = '<Tab>',
    accept_line = '<S-Tab>',
    accept_word = '<C-B>',
    trigger = '<C-F>',
    dismiss = '<C-]>',
    fill = '<C-F>', -- visual mode: fill the selection
  },
}

M.options = vim.deepcopy(M.defaults)

function M.set(user)
  M.options = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), user or {})
  return M.options
end

-- The settings the daemon keeps per connection (initialize's initializationOptions).
function M.daemon_settings(o)
  o = o or M.options
  local s = { steps = o.steps, span = o.span }
  if o.deadline and o.deadline > 0 then s.deadlineMs = o.deadline else s.deadlineMs = vim.NIL end
  return s
end

return M
