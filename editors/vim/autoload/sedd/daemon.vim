" The one connection to the daemon: start `sedd serve` as a job (lsp mode) or open a Unix/TCP
" channel, initialize (checking protocolVersion 1), keep buffers in sync, start again after it dies.

let s:PROTOCOL_VERSION = 1
let s:conn = v:null        " the ready connection: {ch, job, sent, callbacks, closed, stderr}
let s:connecting = v:null  " the connection while initialize is in flight
let s:waiting = []         " callbacks waiting for a ready connection
let s:synced = {}          " bufnr -> {uri, version, tick} on the current connection
let s:restarts = []        " times (reltimefloat) of automatic restarts in the last minute
let g:sedd_daemon = {'info': v:null, 'error': v:null, 'starts': 0}

function! sedd#daemon#connection() abort
  return s:conn
endfunction

function! s:fail_waiting(message) abort
  let waiting = s:waiting
  let s:waiting = []
  for Callback in waiting
    call Callback(v:null, a:message)
  endfor
endfunction

function! s:record(conn, message) abort
  call add(a:conn.sent, {'method': get(a:message, 'method', ''), 'params': get(a:message, 'params', {})})
  if len(a:conn.sent) > 200
    call remove(a:conn.sent, 0)
  endif
endfunction

" Sends a request; Callback(err, result) runs once (also with an error when the connection closes).
function! sedd#daemon#request(conn, method, params, Callback) abort
  if a:conn.closed | return -1 | endif
  let message = {'method': a:method, 'params': a:params}
  call s:record(a:conn, message)
  let Respond = function('s:on_response', [a:conn])
  try
    let id = ch_sendexpr(a:conn.ch, message, {'callback': Respond}).id
  catch
    return -1
  endtry
  let a:conn.sent[-1].id = id
  let a:conn.callbacks[id] = a:Callback
  return id
endfunction

function! s:on_response(conn, channel, message) abort
  let id = get(a:message, 'id', -1)
  let Callback = get(a:conn.callbacks, id, v:null)
  if Callback is v:null | return | endif
  call remove(a:conn.callbacks, id)
  let err = get(a:message, 'error', v:null)
  call Callback(err, err is v:null ? get(a:message, 'result', v:null) : v:null)
endfunction

function! sedd#daemon#notify(conn, method, params) abort
  if a:conn.closed | return | endif
  let message = {'method': a:method, 'params': a:params}
  call s:record(a:conn, message)
  try
    call ch_sendexpr(a:conn.ch, message)
  catch
  endtry
endfunction

" Cancels a request in flight; its callback still runs once, with RequestCancelled or a late result.
function! sedd#daemon#cancel(conn, id) abort
  if has_key(a:conn.callbacks, a:id)
    call sedd#daemon#notify(a:conn, '$/cancelRequest', {'id': a:id})
  endif
endfunction

function! s:on_close(conn, reason) abort
  if a:conn.closed | return | endif
  let a:conn.closed = 1
  let callbacks = a:conn.callbacks
  let a:conn.callbacks = {}
  for Callback in values(callbacks)
    call Callback({'code': -32099, 'message': a:reason}, v:null)
  endfor
  if s:conn is a:conn || s:connecting is a:conn
    let s:conn = v:null
    let s:connecting = v:null
    let s:synced = {}
    let g:sedd_daemon.error = a:reason . (empty(a:conn.stderr) ? '' : ': ' . a:conn.stderr[-1])
    call s:fail_waiting(g:sedd_daemon.error)
  endif
endfunction

function! s:on_stderr(conn, channel, line) abort
  call add(a:conn.stderr, a:line)
  if len(a:conn.stderr) > 20 | call remove(a:conn.stderr, 0) | endif
endfunction

function! s:open(o) abort
  let conn = {'ch': v:null, 'job': v:null, 'sent': [], 'callbacks': {}, 'closed': 0, 'stderr': []}
  if a:o.transport ==# 'stdio' || a:o.transport ==# ''
    let argv = [a:o.binary, 'serve'] + (a:o.model !=# '' ? ['--model', expand(a:o.model)] : [])
    try
      let conn.job = job_start(argv, {'in_mode': 'lsp', 'out_mode': 'lsp', 'err_mode': 'nl',
            \ 'out_cb': {ch, msg -> 0}, 'err_cb': function('s:on_stderr', [conn]),
            \ 'exit_cb': {job, code -> s:on_close(conn, 'daemon exited (code ' . code . ')')}, 'noblock': 1})
    catch
      return [v:null, 'cannot start ' . a:o.binary . ': ' . v:exception]
    endtry
    if job_status(conn.job) !=# 'run'
      return [v:null, 'cannot start ' . a:o.binary . ' (is it on $PATH? set g:sedd.binary)']
    endif
    let conn.ch = job_getchannel(conn.job)
  else
    let address = a:o.transport =~# '^unix:' ? a:o.transport : substitute(a:o.transport, '^tcp:', '', '')
    if a:o.transport !~# '^\(unix:.\+\|tcp:.\+:\d\+\)$'
      return [v:null, "transport must be 'stdio', 'unix:PATH' or 'tcp:HOST:PORT', got '" . a:o.transport . "'"]
    endif
    try
      let conn.ch = ch_open(address, {'mode': 'lsp', 'callback': {ch, msg -> 0},
            \ 'close_cb': {ch -> s:on_close(conn, 'connection closed by the daemon')}})
    catch
      return [v:null, 'cannot connect to ' . a:o.transport . ': ' . v:exception]
    endtry
    if ch_status(conn.ch) !=# 'open'
      return [v:null, 'cannot connect to ' . a:o.transport]
    endif
  endif
  return [conn, v:null]
endfunction

" Calls Callback(conn, v:null) once a connection is ready, starting one if needed; Callback(v:null, err)
" on failure. A daemon that died is started again, at most 5 times a minute (then :SeddRestart).
function! sedd#daemon#with_client(Callback) abort
  if s:conn isnot v:null && !s:conn.closed
    return a:Callback(s:conn, v:null)
  endif
  call add(s:waiting, a:Callback)
  if s:connecting isnot v:null | return | endif
  let now = reltimefloat(reltime())
  call filter(s:restarts, {_, t -> now - t < 60})
  if g:sedd_daemon.starts > 0
    if len(s:restarts) >= 5
      call s:fail_waiting('the daemon died 5 times in a minute; :SeddRestart tries again ('
            \ . g:sedd_daemon.error . ')')
      return
    endif
    call add(s:restarts, now)
  endif
  let g:sedd_daemon.starts += 1
  let o = sedd#config#get()
  let [conn, err] = s:open(o)
  if conn is v:null
    let g:sedd_daemon.error = err
    call s:fail_waiting(err)
    return
  endif
  let s:connecting = conn
  call sedd#daemon#request(conn, 'initialize', {
        \ 'processId': getpid(), 'clientInfo': {'name': 'sedd.vim', 'version': '1'},
        \ 'capabilities': {'general': {'positionEncodings': ['utf-16']}},
        \ 'initializationOptions': sedd#config#daemon_settings(o)},
        \ function('s:on_initialize', [conn]))
endfunction

function! s:on_initialize(conn, err, result) abort
  if s:connecting isnot a:conn | return | endif
  let s:connecting = v:null
  let protocol = type(a:result) == v:t_dict && type(get(a:result, 'sedd', 0)) == v:t_dict
        \ ? get(a:result.sedd, 'protocolVersion', v:null) : v:null
  if a:err isnot v:null || protocol isnot s:PROTOCOL_VERSION
    let g:sedd_daemon.error = a:err isnot v:null ? 'initialize failed: ' . get(a:err, 'message', '')
          \ : 'the daemon speaks protocolVersion ' . string(protocol) . '; this plugin needs '
          \ . s:PROTOCOL_VERSION . ' (update sedd or the plugin)'
    call s:close(a:conn)
    call s:fail_waiting(g:sedd_daemon.error)
    return
  endif
  let g:sedd_daemon.info = a:result.sedd
  let g:sedd_daemon.error = v:null
  let s:conn = a:conn
  call sedd#daemon#notify(a:conn, 'initialized', {})
  let waiting = s:waiting
  let s:waiting = []
  for Callback in waiting
    call Callback(a:conn, v:null)
  endfor
endfunction

function! sedd#daemon#settings_changed() abort
  if s:conn isnot v:null
    call sedd#daemon#notify(s:conn, 'workspace/didChangeConfiguration',
          \ {'settings': {'sedd': sedd#config#daemon_settings()}})
  endif
endfunction

function! sedd#daemon#uri(buf) abort
  let name = bufname(a:buf)
  if name ==# ''
    return 'untitled:buffer-' . a:buf
  endif
  let path = fnamemodify(name, ':p')
  return 'file://' . substitute(path, '[^A-Za-z0-9/._~-]', '\=printf("%%%02X", char2nr(submatch(0)))', 'g')
endfunction

" Opens the buffer's document on the connection, or sends its full text if it changed since.
function! sedd#daemon#sync(conn, buf) abort
  let tick = getbufvar(a:buf, 'changedtick')
  let state = get(s:synced, a:buf, v:null)
  if state isnot v:null && state.tick == tick
    return state.uri
  endif
  let text = sedd#text#document(getbufline(a:buf, 1, '$'), getbufvar(a:buf, '&eol') || getbufvar(a:buf, '&fixeol'))
  if state is v:null
    let state = {'uri': sedd#daemon#uri(a:buf), 'version': 0, 'tick': tick}
    let s:synced[a:buf] = state
    call sedd#daemon#notify(a:conn, 'textDocument/didOpen', {'textDocument': {'uri': state.uri,
          \ 'languageId': sedd#text#language_id(getbufvar(a:buf, '&filetype')), 'version': 0, 'text': text}})
  else
    let state.version += 1
    let state.tick = tick
    call sedd#daemon#notify(a:conn, 'textDocument/didChange', {
          \ 'textDocument': {'uri': state.uri, 'version': state.version}, 'contentChanges': [{'text': text}]})
  endif
  return state.uri
endfunction

function! sedd#daemon#close_buffer(buf) abort
  let state = get(s:synced, a:buf, v:null)
  if state is v:null | return | endif
  call remove(s:synced, a:buf)
  if s:conn isnot v:null
    call sedd#daemon#notify(s:conn, 'textDocument/didClose', {'textDocument': {'uri': state.uri}})
  endif
endfunction

function! s:close(conn) abort
  let a:conn.closed = 1
  if a:conn.job isnot v:null
    if job_status(a:conn.job) ==# 'run'
      try
        call ch_sendexpr(a:conn.ch, {'method': 'shutdown', 'params': v:null}, {'callback': {ch, msg -> 0}})
        call ch_sendexpr(a:conn.ch, {'method': 'exit'})
      catch
      endtry
      call timer_start(1000, {-> job_status(a:conn.job) ==# 'run' ? job_stop(a:conn.job) : 0})
    endif
  elseif ch_status(a:conn.ch) ==# 'open'
    call ch_close(a:conn.ch)
  endif
endfunction

function! sedd#daemon#stop() abort
  for conn in [s:conn, s:connecting]
    if conn isnot v:null | call s:close(conn) | endif
  endfor
  let s:conn = v:null
  let s:connecting = v:null
  let s:synced = {}
endfunction

function! sedd#daemon#restart() abort
  call sedd#daemon#stop()
  let s:restarts = []
  let g:sedd_daemon.starts = 0
  let g:sedd_daemon.error = v:null
endfunction
