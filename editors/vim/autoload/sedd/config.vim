" Every setting of sedd.vim and its default, in one place (documented in doc/sedd.txt).
" Users set any of them in g:sedd, e.g. let g:sedd = {'model': '~/models/code', 'steps': 8}.

let s:defaults = {
      \ 'enabled': v:true,
      \ 'binary': 'sedd',
      \ 'model': '',
      \ 'transport': 'stdio',
      \ 'steps': 16,
      \ 'span': 32,
      \ 'debounce': 150,
      \ 'deadline': 0,
      \ 'stop': 'none',
      \ 'seed': v:null,
      \ 'filetypes': {'*': v:true},
      \ 'keymaps': v:true,
      \ }

function! sedd#config#defaults() abort
  return deepcopy(s:defaults)
endfunction

" The effective settings: the defaults with g:sedd on top.
function! sedd#config#get() abort
  return extend(deepcopy(s:defaults), get(g:, 'sedd', {}))
endfunction

" The settings the daemon keeps per connection (initialize's initializationOptions).
function! sedd#config#daemon_settings(...) abort
  let o = a:0 ? a:1 : sedd#config#get()
  return {'steps': o.steps, 'span': o.span, 'deadlineMs': o.deadline > 0 ? o.deadline : v:null}
endfunction
