" sedd.vim: ghost-text code infill from a warm `sedd serve` daemon (Vim 9).

let s:state = {'enabled': v:null, 'pending': v:null, 'suggestion': v:null, 'keep': v:null, 'timer': -1,
      \ 'last': {'latency': v:null, 'steps': v:null, 'error': v:null}, 'dropped': 0}

function! sedd#state() abort
  return s:state
endfunction

function! s:enabled_globally() abort
  if s:state.enabled is v:null
    let s:state.enabled = sedd#config#get().enabled ? v:true : v:false
  endif
  return s:state.enabled
endfunction

function! sedd#is_enabled(...) abort
  let buf = a:0 ? a:1 : bufnr('%')
  let filetypes = sedd#config#get().filetypes
  let ft = getbufvar(buf, '&filetype')
  let switch = has_key(filetypes, ft) ? filetypes[ft] : get(filetypes, '*', v:true)
  return s:enabled_globally() && getbufvar(buf, 'sedd_enabled', 1) && switch
endfunction

function! s:cursor() abort
  return [line('.'), col('.')]
endfunction

function! s:cancel_pending() abort
  let pending = s:state.pending
  let s:state.pending = v:null
  if pending isnot v:null
    call sedd#daemon#cancel(pending.conn, pending.id)
  endif
endfunction

" Removes the ghost text and cancels the request in flight.
function! sedd#dismiss() abort
  call timer_stop(s:state.timer)
  call s:cancel_pending()
  if s:state.suggestion isnot v:null
    call sedd#ghost#clear(s:state.suggestion.buf)
  endif
  let s:state.suggestion = v:null
  let s:state.keep = v:null
endfunction

" The sedd/infill params for a hole at (lnum, col) of buf, 1-based, synced as uri.
function! sedd#request_params(buf, uri, lnum, col) abort
  let line = get(getbufline(a:buf, a:lnum), 0, '')
  let position = sedd#text#position(a:lnum - 1, line, a:col - 1)
  let o = sedd#config#get()
  let params = {'textDocument': {'uri': a:uri}, 'ranges': [{'start': position, 'end': position}],
        \ 'languageId': sedd#text#language_id(getbufvar(a:buf, '&filetype'))}
  if o.stop !=# 'none' | let params.stop = o.stop | endif
  if o.seed isnot v:null | let params.seed = o.seed | endif
  return params
endfunction

function! s:on_answer(pending, err, result) abort
  if s:state.pending isnot a:pending
    let s:state.dropped += 1
    return
  endif
  let s:state.pending = v:null
  if a:err isnot v:null
    if get(a:err, 'code', 0) != -32800
      let s:state.last.error = get(a:err, 'message', 'error')
    endif
    return
  endif
  if bufnr('%') != a:pending.buf || b:changedtick != a:pending.tick || s:cursor() != [a:pending.lnum, a:pending.col]
    let s:state.dropped += 1
    return
  endif
  let s:state.last = {'latency': reltimefloat(reltime(a:pending.sent_at)) * 1000, 'steps': a:result.steps,
        \ 'error': v:null}
  let items = get(a:result, 'items', [])
  let fill = empty(items) ? '' : get(items[0].fills, 0, '')
  let fill = sedd#text#trim_repeat(fill, strpart(getline(a:pending.lnum), a:pending.col - 1))
  redrawstatus
  if fill ==# '' | return | endif
  let s:state.suggestion = {'buf': a:pending.buf, 'lnum': a:pending.lnum, 'col': a:pending.col, 'text': fill}
  call sedd#ghost#show(a:pending.buf, a:pending.lnum, a:pending.col, fill)
  redraw
endfunction

" Asks for a suggestion at the cursor now (cancelling the one in flight).
function! sedd#trigger() abort
  call sedd#dismiss()
  let request = {'buf': bufnr('%'), 'tick': b:changedtick, 'lnum': line('.'), 'col': col('.')}
  call sedd#daemon#with_client(function('s:send', [request]))
endfunction

function! s:send(request, conn, err) abort
  if a:conn is v:null
    let s:state.last.error = a:err
    redrawstatus
    return
  endif
  " the connection may have taken a while: only ask if nothing moved meanwhile
  if bufnr('%') != a:request.buf || b:changedtick != a:request.tick || s:cursor() != [a:request.lnum, a:request.col]
    return
  endif
  call s:cancel_pending()
  let uri = sedd#daemon#sync(a:conn, a:request.buf)
  let pending = extend(copy(a:request), {'conn': a:conn, 'sent_at': reltime()})
  let params = sedd#request_params(a:request.buf, uri, a:request.lnum, a:request.col)
  let s:state.pending = pending
  let pending.id = sedd#daemon#request(a:conn, 'sedd/infill', params, function('s:on_answer', [pending]))
  if pending.id < 0
    let s:state.pending = v:null
  endif
endfunction

" Typing or moving in insert mode: drop the suggestion and ask again after the debounce.
function! sedd#on_change() abort
  let keep = s:state.keep
  if keep isnot v:null && keep.tick == b:changedtick && keep.pos == s:cursor()
    return
  endif
  call sedd#dismiss()
  if !sedd#is_enabled() | return | endif
  let s:state.timer = timer_start(sedd#config#get().debounce, {-> mode() =~# '^i' ? sedd#trigger() : 0})
endfunction

function! sedd#has_suggestion() abort
  return s:state.suggestion isnot v:null
endfunction

" Inserts all of the suggestion, its first line or its first word; the rest stays as ghost text.
" Returns 0 when there is no suggestion at the cursor.
function! sedd#accept(kind) abort
  let s = s:state.suggestion
  if s is v:null || s.buf != bufnr('%') || [s.lnum, s.col] != s:cursor()
    return 0
  endif
  let piece = sedd#text#take(s.text, a:kind)
  let pieces = sedd#text#split_lines(piece)
  call sedd#dismiss()
  let line = getline(s.lnum)
  let before = strpart(line, 0, s.col - 1)
  let after = strpart(line, s.col - 1)
  let new = copy(pieces)
  let new[0] = before . new[0]
  let last_len = len(new[-1])
  let new[-1] .= after
  call setline(s.lnum, new[0])
  if len(new) > 1
    call append(s.lnum, new[1:])
  endif
  let lnum = s.lnum + len(new) - 1
  let col = last_len + 1
  call cursor(lnum, col)
  let rest = strpart(s.text, len(piece))
  if rest !=# ''
    let s:state.suggestion = {'buf': s.buf, 'lnum': lnum, 'col': col, 'text': rest}
    let s:state.keep = {'tick': b:changedtick, 'pos': [lnum, col]}
    call sedd#ghost#show(s.buf, lnum, col, rest)
  endif
  return 1
endfunction

" For insert-mode keys: accept, or type the key as if unmapped.
function! sedd#accept_or(kind, key) abort
  if !sedd#accept(a:kind)
    call feedkeys(a:key, 'n')
  endif
endfunction

function! sedd#dismiss_or(key) abort
  if sedd#has_suggestion()
    call sedd#dismiss()
  else
    call feedkeys(a:key, 'n')
  endif
endfunction

" Replaces the text from (l1, c1) to (l2, c2) of buf (1-based; c2 exclusive) with a fill of span
" tokens. Callback(err, fill) when done.
function! sedd#fill_range(buf, l1, c1, l2, c2, ...) abort
  let Callback = a:0 ? a:1 : {err, fill -> err is v:null ? 0 : s:warn(err)}
  call sedd#dismiss()
  let request = {'buf': a:buf, 'tick': getbufvar(a:buf, 'changedtick'), 'range': [a:l1, a:c1, a:l2, a:c2]}
  call sedd#daemon#with_client(function('s:send_fill', [request, Callback]))
endfunction

function! s:warn(message) abort
  echohl WarningMsg | echomsg 'sedd: ' . a:message | echohl None
endfunction

function! s:send_fill(request, Callback, conn, err) abort
  if a:conn is v:null
    return a:Callback(a:err, v:null)
  endif
  let [l1, c1, l2, c2] = a:request.range
  let uri = sedd#daemon#sync(a:conn, a:request.buf)
  let o = sedd#config#get()
  let params = {'textDocument': {'uri': uri}, 'length': o.span,
        \ 'ranges': [{'start': sedd#text#position(l1 - 1, getbufline(a:request.buf, l1)[0], c1 - 1),
        \             'end': sedd#text#position(l2 - 1, getbufline(a:request.buf, l2)[0], c2 - 1)}],
        \ 'languageId': sedd#text#language_id(getbufvar(a:request.buf, '&filetype'))}
  if o.seed isnot v:null | let params.seed = o.seed | endif
  let a:request.sent_at = reltime()
  call sedd#daemon#request(a:conn, 'sedd/infill', params, function('s:on_fill', [a:request, a:Callback]))
endfunction

function! s:on_fill(request, Callback, err, result) abort
  if a:err isnot v:null
    let s:state.last.error = get(a:err, 'message', 'error')
    return a:Callback(s:state.last.error, v:null)
  endif
  if getbufvar(a:request.buf, 'changedtick') != a:request.tick
    return a:Callback('the buffer changed; fill dropped', v:null)
  endif
  let s:state.last = {'latency': reltimefloat(reltime(a:request.sent_at)) * 1000, 'steps': a:result.steps,
        \ 'error': v:null}
  let fill = empty(a:result.items) ? '' : a:result.items[0].fills[0]
  let [l1, c1, l2, c2] = a:request.range
  let lines = getbufline(a:request.buf, l1, l2)
  let new = sedd#text#split_lines(strpart(lines[0], 0, c1 - 1) . fill . strpart(lines[-1], c2 - 1))
  call s:replace_lines(a:request.buf, l1, l2, new)
  call a:Callback(v:null, fill)
endfunction

" Replaces lines l1..l2 of buf with the list new.
function! s:replace_lines(buf, l1, l2, new) abort
  let old_count = a:l2 - a:l1 + 1
  if len(a:new) <= old_count
    call setbufline(a:buf, a:l1, a:new)
    if len(a:new) < old_count
      call deletebufline(a:buf, a:l1 + len(a:new), a:l2)
    endif
  else
    call setbufline(a:buf, a:l1, a:new[: old_count - 1])
    call appendbufline(a:buf, a:l2, a:new[old_count :])
  endif
endfunction

" :SeddFill on the last visual selection (characterwise or linewise).
function! sedd#fill_selection() abort
  let [l1, c1] = getpos("'<")[1:2]
  let [l2, c2] = getpos("'>")[1:2]
  let last = getline(l2)
  if visualmode() ==# 'V'
    let [c1, c2] = [1, len(last) + 1]
  else
    " '> is the first byte of the last selected character; end after all of its bytes
    let c2 = min([len(last), c2 - 1 + len(matchstr(strpart(last, c2 - 1), '^.'))]) + 1
  endif
  call sedd#fill_range(bufnr('%'), l1, c1, l2, c2)
endfunction

function! sedd#enable(...) abort
  let s:state.enabled = a:0 ? (a:1 ? v:true : v:false) : !s:enabled_globally()
  if !s:state.enabled | call sedd#dismiss() | endif
  echomsg 'sedd: suggestions ' . (s:state.enabled ? 'on' : 'off')
endfunction

" A short status for the status line: 'sedd 83ms 16 steps', 'sedd off', 'sedd: <error>'.
function! sedd#statusline() abort
  if !sedd#is_enabled() | return 'sedd off' | endif
  if s:state.last.error isnot v:null | return 'sedd: ' . s:state.last.error | endif
  if sedd#daemon#connection() is v:null && g:sedd_daemon.error isnot v:null
    return 'sedd: ' . g:sedd_daemon.error
  endif
  if s:state.pending isnot v:null | return 'sedd …' | endif
  if s:state.last.latency isnot v:null
    return printf('sedd %dms %d steps', float2nr(round(s:state.last.latency)), s:state.last.steps)
  endif
  return 'sedd'
endfunction

function! sedd#status() abort
  call sedd#daemon#connection()
  let o = sedd#config#get()
  let lines = [sedd#statusline(),
        \ printf('transport %s, binary %s, model %s', o.transport, o.binary, o.model !=# '' ? o.model : '(default)'),
        \ printf('steps %d, span %d, debounce %dms, deadline %s', o.steps, o.span, o.debounce,
        \        o.deadline > 0 ? o.deadline . 'ms' : 'none')]
  if g:sedd_daemon.info isnot v:null
    call add(lines, printf('daemon: model %s, context %d tokens', g:sedd_daemon.info.model,
          \ g:sedd_daemon.info.contextLength))
  endif
  if g:sedd_daemon.error isnot v:null
    call add(lines, 'last connection error: ' . g:sedd_daemon.error)
  endif
  return join(lines, "\n")
endfunction

" Applies a changed g:sedd: reconnect for binary/model/transport, else tell the daemon.
function! sedd#reconfigure(...) abort
  let before = a:0 ? a:1 : {}
  let o = sedd#config#get()
  let s:state.enabled = o.enabled ? v:true : v:false
  if get(before, 'binary', o.binary) !=# o.binary || get(before, 'model', o.model) !=# o.model
        \ || get(before, 'transport', o.transport) !=# o.transport
    call sedd#daemon#restart()
  else
    call sedd#daemon#settings_changed()
  endif
endfunction
