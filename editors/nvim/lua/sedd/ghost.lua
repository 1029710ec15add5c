-- Draws a suggestion as ghost text at a buffer position with one extmark.
-- The first line is an overlay at the cursor followed by the rest of the line (so it reads as inserted
-- text on every Neovim from 0.7); further lines are virtual lines below, the last one followed by the rest.
local text = require('sedd.text')
local M = {}

M.namespace = vim.api.nvim_create_namespace('sedd_ghost')

local function width(s) return vim.fn.strdisplaywidth(s) end

function M.show(buf, row, col, ghost)
  M.clear(buf)
  local line = vim.api.nvim_buf_get_lines(buf, row, row + 1, false)[1] or ''
  local rest = line:sub(col + 1)
  local tabstop = vim.bo[buf].tabstop
  local lines = text.split_lines(ghost)
  local shown_rest = text.display(rest, tabstop)
  local first = text.display(lines[1], tabstop)
  local virt_text
  if #lines == 1 then
    virt_text = { { first, 'SeddGhost' }, { shown_rest, 'Normal' } }
  else
    -- the rest of the line moves to the last suggestion line; blank it out here
    local pad = math.max(0, width(shown_rest) - width(first))
    virt_text = { { first, 'SeddGhost' }, { string.rep(' ', pad), 'Normal' } }
  end
  local opts = { virt_text = virt_text, virt_text_pos = 'overlay', hl_mode = 'combine' }
  if #lines > 1 then
    local virt_lines = {}
    for i = 2, #lines do
      local chunk = { { text.display(lines[i], tabstop), 'SeddGhost' } }
      if i == #lines and shown_rest ~= '' then table.insert(chunk, { shown_rest, 'Normal' }) end
      table.insert(virt_lines, chunk)
    end
    opts.virt_lines = virt_lines
  end
  return vim.api.nvim_buf_set_extmark(buf, M.namespace, row, col, opts)
end

function M.clear(buf)
  if buf and vim.api.nvim_buf_is_valid(buf) then vim.api.nvim_buf_clear_namespace(buf, M.namespace, 0, -1) end
end

return M
