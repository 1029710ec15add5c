" sedd.vim entry point: commands, autocommands, keys and the ghost-text highlight.
" Settings: g:sedd (see :help sedd-settings); the logic lives in autoload/.
if exists('g:loaded_sedd') | finish | endif
let g:loaded_sedd = 1
if v:version < 900 || !has('textprop') || !has('channel')
  echomsg 'sedd.vim needs Vim 9 with +textprop and +channel'
  finish
endif

highlight default link SeddGhost Comment

augroup sedd
  autocmd!
  autocmd TextChangedI,TextChangedP,CursorMovedI * call sedd#on_change()
  autocmd InsertLeave,BufLeave * if exists('*sedd#dismiss') | call sedd#dismiss() | endif
  autocmd BufUnload * call sedd#daemon#close_buffer(str2nr(expand('<abuf>')))
  autocmd VimLeavePre * call sedd#daemon#stop()
augroup END

command! SeddEnable call sedd#enable(1)
command! SeddDisable call sedd#enable(0)
command! SeddToggle call sedd#enable()
command! SeddTrigger call sedd#trigger()
command! -range SeddFill call sedd#fill_selection()
command! SeddStatus echo sedd#status()
command! SeddRestart call sedd#daemon#restart()

inoremap <silent> <Plug>(sedd-accept) <Cmd>call sedd#accept_or('all', "\t")<CR>
inoremap <silent> <Plug>(sedd-accept-line) <Cmd>call sedd#accept_or('line', "\<S-Tab>")<CR>
inoremap <silent> <Plug>(sedd-accept-word) <Cmd>call sedd#accept_or('word', "\<C-B>")<CR>
inoremap <silent> <Plug>(sedd-dismiss) <Cmd>call sedd#dismiss_or("\<C-]>")<CR>
inoremap <silent> <Plug>(sedd-trigger) <Cmd>call sedd#trigger()<CR>
xnoremap <silent> <Plug>(sedd-fill) :<C-U>SeddFill<CR>

if get(get(g:, 'sedd', {}), 'keymaps', 1)
  if empty(maparg('<Tab>', 'i')) | imap <Tab> <Plug>(sedd-accept)| endif
  if empty(maparg('<S-Tab>', 'i')) | imap <S-Tab> <Plug>(sedd-accept-line)| endif
  if empty(maparg('<C-B>', 'i')) | imap <C-B> <Plug>(sedd-accept-word)| endif
  if empty(maparg('<C-]>', 'i')) | imap <C-]> <Plug>(sedd-dismiss)| endif
  if empty(maparg('<C-F>', 'i')) | imap <C-F> <Plug>(sedd-trigger)| endif
  if empty(maparg('<C-F>', 'x')) | xmap <C-F> <Plug>(sedd-fill)| endif
endif
