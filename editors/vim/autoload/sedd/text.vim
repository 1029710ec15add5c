" Pure text helpers: LSP positions, document text, partial accepts, trimming and display escaping.

" UTF-16 code units in a string (LSP's default position unit).
function! sedd#text#utf16_len(s) abort
  let n = 0
  for c in str2list(a:s)
    let n += c > 0xFFFF ? 2 : 1
  endfor
  return n
endfunction

" The LSP position of byte column col (0-based) of line (0-based row).
function! sedd#text#position(row, line, col) abort
  return {'line': a:row, 'character': sedd#text#utf16_len(strpart(a:line, 0, a:col))}
endfunction

function! sedd#text#document(lines, eol) abort
  return join(a:lines, "\n") . (a:eol ? "\n" : '')
endfunction

let s:language_ids = {'': 'plaintext', 'text': 'plaintext', 'sh': 'shellscript', 'bash': 'shellscript',
      \ 'zsh': 'shellscript', 'cs': 'csharp', 'tex': 'latex', 'objc': 'objective-c', 'objcpp': 'objective-cpp',
      \ 'make': 'makefile'}
function! sedd#text#language_id(filetype) abort
  return get(s:language_ids, a:filetype, a:filetype)
endfunction

" The part of a suggestion accepted by kind: 'all', 'line' (up to the first newline; a newline and
" the next line when it starts with one) or 'word' (blanks, then a run of word characters or of
" punctuation; a newline alone when it starts with one).
function! sedd#text#take(ghost, kind) abort
  if a:kind ==# 'all'
    return a:ghost
  elseif a:kind ==# 'line'
    let first = matchstr(a:ghost, '^[^\n]*')
    return first !=# '' ? first : matchstr(a:ghost, '^\n[^\n]*')
  endif
  if a:ghost[0] ==# "\n"
    return "\n"
  endif
  let blanks = matchstr(a:ghost, '^[ \t]*')
  let rest = strpart(a:ghost, len(blanks))
  let word = matchstr(rest, '^\%([[:alnum:]_]\|[^\x00-\x7f]\)\+')
  if word ==# ''
    let word = matchstr(rest, '^[[:punct:]]\+')
  endif
  return blanks . word
endfunction

" Drops the end of fill that repeats after (the rest of the cursor line), e.g. a closing bracket.
function! sedd#text#trim_repeat(fill, after) abort
  let after = substitute(a:after, '\s\+$', '', '')
  if after !=# '' && len(a:fill) >= len(after) && strpart(a:fill, len(a:fill) - len(after)) ==# after
    return strpart(a:fill, 0, len(a:fill) - len(after))
  endif
  return a:fill
endfunction

" A suggestion line as it is drawn: tabs expanded, control characters as ^X.
function! sedd#text#display(s, tabstop) abort
  return strtrans(substitute(a:s, "\t", repeat(' ', a:tabstop), 'g'))
endfunction

function! sedd#text#split_lines(s) abort
  return split(a:s, "\n", 1)
endfunction
