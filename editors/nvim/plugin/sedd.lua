-- sedd.nvim entry point: commands, autocommands and the ghost-text highlight.
-- Settings come from require('sedd').setup{...}; without it the defaults apply.
if vim.g.loaded_sedd then return end
vim.g.loaded_sedd = true
if vim.fn.has('nvim-0.7') == 0 then
  vim.api.nvim_err_writeln('sedd.nvim needs Neovim 0.7 or later')
  return
end

vim.api.nvim_set_hl(0, 'SeddGhost', { link = 'Comment', default = true })

local function sedd() return require('sedd') end
local function ensure_setup()
  if not sedd().configured then sedd().setup(vim.g.sedd or {}) end
end

local group = vim.api.nvim_create_augroup('sedd', { clear = true })
vim.api.nvim_create_autocmd({ 'TextChangedI', 'TextChangedP', 'CursorMovedI' }, {
  group = group, callback = function() ensure_setup(); sedd().on_change() end,
})
vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
  group = group, callback = function() if package.loaded['sedd'] then sedd().dismiss() end end,
})
vim.api.nvim_create_autocmd({ 'BufWipeout', 'BufUnload' }, {
  group = group, callback = function(args)
    if package.loaded['sedd'] then sedd().daemon.close_buffer(args.buf) end
  end,
})
vim.api.nvim_create_autocmd('VimLeavePre', {
  group = group, callback = function() if package.loaded['sedd'] then sedd().daemon.stop() end end,
})
vim.api.nvim_create_autocmd('VimEnter', { group = group, callback = ensure_setup })

local function command(name, fn, opts)
  vim.api.nvim_create_user_command(name, function(args) ensure_setup(); fn(args) end, opts or {})
end
command('SeddEnable', function() sedd().enable(true) end)
command('SeddDisable', function() sedd().enable(false) end)
command('SeddToggle', function() sedd().enable() end)
command('SeddTrigger', function() sedd().trigger() end)
command('SeddFill', function() sedd().fill_selection() end, { range = true })
command('SeddStatus', function() print(sedd().status()) end)
command('SeddRestart', function() sedd().daemon.restart() end)
