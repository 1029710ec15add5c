-- Pure text helpers: buffer text and LSP positions, splitting a suggestion for partial accepts,
-- trimming a suggestion that repeats the text after the cursor, and display escaping.
local M = {}

--- UTF-16 code units in a UTF-8 string (what LSP positions count by default).
function M.utf16_len(s)
  local n = 0
  for i = 1, #s do
    local b = s:byte(i)
    if b < 0x80 or b >= 0xC0 then n = n + 1 end -- one per character start
    if b >= 0xF0 then n = n + 1 end -- characters above U+FFFF take a surrogate pair
  end
  return n
end

--- The LSP position of byte column `col` (0-based) on `line` (0-based row `row`).
function M.position(row, line, col)
  return { line = row, character = M.utf16_len(line:sub(1, col)) }
end

--- A buffer's lines as the document text the daemon stores (a final newline when the file has one).
function M.document_text(lines, eol)
  local text = table.concat(lines, '\n')
  if eol then text = text .. '\n' end
  return text
end

--- The editor's file type as an LSP languageId.
local language_ids = {
  [''] = 'plaintext', text = 'plaintext', sh = 'shellscript', bash = 'shellscript', zsh = 'shellscript',
  cs = 'csharp', javascriptreact = 'javascriptreact', typescriptreact = 'typescriptreact', tex = 'latex',
  objc = 'objective-c', objcpp = 'objective-cpp', dockerfile = 'dockerfile', make = 'makefile',
  ['emacs-lisp'] = 'lisp', py = 'python', rs = 'rust', js = 'javascript', ts = 'typescript',
}
function M.language_id(filetype)
  return language_ids[filetype or ''] or filetype
end

--- The part of `ghost` accepted by `kind` ('all', 'line' or 'word').
--- line: up to the first newline (a suggestion that starts with a newline takes it and the next line).
--- word: leading blanks, then one run of word characters (letters, digits, _, any non-ASCII) or of
--- punctuation; a newline alone when the suggestion starts with one.
function M.take(ghost, kind)
  if kind == 'all' then return ghost end
  if kind == 'line' then
    local first = ghost:match('^[^\n]*')
    if first ~= '' then return first end
    return ghost:match('^\n[^\n]*')
  end
  if ghost:sub(1, 1) == '\n' then return '\n' end
  local blanks = ghost:match('^[ \t]*')
  local rest = ghost:sub(#blanks + 1)
  local word = rest:match('^[%w_\128-\255]+') or rest:match('^[^%w_\128-\255%s]+') or ''
  return blanks .. word
end

--- Drops the end of `fill` that repeats `after` (the rest of the cursor line), e.g. a closing bracket.
function M.trim_repeat(fill, after)
  after = after:gsub('%s+$', '')
  if after ~= '' and #fill >= #after and fill:sub(-#after) == after then
    return fill:sub(1, #fill - #after)
  end
  return fill
end

--- A suggestion line as it is drawn: tabs expanded, control characters as ^X.
function M.display(s, tabstop)
  s = s:gsub('\t', string.rep(' ', tabstop or 8))
  return (s:gsub('[%z\1-\31\127]', function(c)
    local b = c:byte()
    return '^' .. (b == 127 and '?' or string.char(b + 64))
  end))
end

function M.split_lines(s)
  local lines = {}
  for line in (s .. '\n'):gmatch('([^\n]*)\n') do table.insert(lines, line) end
  return lines
end

--- The character at byte index `i` (1-based) of `s` ends at which byte? (UTF-8 aware.)
function M.char_end(s, i)
  local b = s:byte(i)
  if not b then return i - 1 end
  local len = b >= 0xF0 and 4 or b >= 0xE0 and 3 or b >= 0xC0 and 2 or 1
  return math.min(#s, i + len - 1)
end

return M
