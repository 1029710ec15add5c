" Draws a suggestion as ghost text: an inline virtual-text property at the cursor for its first line,
" and one 'below' property per further line. prop_list() does not return virtual text, so the caller
" keeps the suggestion string itself.

function! s:ensure_type() abort
  if empty(prop_type_get('sedd_ghost'))
    call prop_type_add('sedd_ghost', {'highlight': 'SeddGhost'})
  endif
endfunction

" buf, lnum (1-based), col (1-based byte column of the cursor), the suggestion.
function! sedd#ghost#show(buf, lnum, col, ghost) abort
  call sedd#ghost#clear(a:buf)
  call s:ensure_type()
  let tabstop = getbufvar(a:buf, '&tabstop')
  let lines = sedd#text#split_lines(a:ghost)
  if lines[0] !=# ''
    call prop_add(a:lnum, a:col, {'type': 'sedd_ghost', 'bufnr': a:buf, 'text': sedd#text#display(lines[0], tabstop)})
  endif
  for line in lines[1:]
    call prop_add(a:lnum, 0, {'type': 'sedd_ghost', 'bufnr': a:buf, 'text_align': 'below',
          \ 'text': line ==# '' ? ' ' : sedd#text#display(line, tabstop)})
  endfor
endfunction

function! sedd#ghost#clear(buf) abort
  if bufexists(a:buf) && !empty(prop_type_get('sedd_ghost'))
    call prop_remove({'type': 'sedd_ghost', 'bufnr': a:buf, 'all': 1})
  endif
endfunction
