" sedd.vim logic tests against the real daemon. Run by vim/tests/run:
"   vim -Nu NONE -i NONE -es --cmd 'set encoding=utf-8' -S logic.vim </dev/null
" Results go to $SEDD_TEST_OUT (never /dev/stdout: it truncates CI logs).
set encoding=utf-8 nocompatible noswapfile hidden
let s:here = expand('<sfile>:p:h:h')
let &runtimepath = s:here . ',' . &runtimepath
execute 'source ' . s:here . '/plugin/sedd.vim'
let s:binary = $SEDD_BINARY
let s:model = $SEDD_TEST_MODEL
let s:out = []

function! s:settings(extra) abort
  let g:sedd = extend({'binary': s:binary, 'model': s:model, 'steps': 4, 'span': 8, 'debounce': 20,
        \ 'seed': 11, 'keymaps': 0}, a:extra)
  call sedd#reconfigure()
endfunction

function! s:wait(ms, cond) abort
  let deadline = reltimefloat(reltime()) + a:ms / 1000.0
  while reltimefloat(reltime()) < deadline
    if eval(a:cond) | return 1 | endif
    sleep 10m
  endwhile
  return eval(a:cond)
endfunction

function! s:fresh(lines, filetype) abort
  enew!
  let &l:filetype = a:filetype
  call setline(1, a:lines)
endfunction

function! s:sent(method) abort
  let conn = sedd#daemon#connection()
  return conn is v:null ? [] : filter(copy(conn.sent), {_, m -> m.method ==# a:method})
endfunction

function! s:wait_suggestion() abort
  call assert_true(s:wait(10000, 'sedd#has_suggestion()'), 'timed out waiting for a suggestion: '
        \ . sedd#statusline())
  return sedd#state().suggestion
endfunction

function! Test_utf16_columns() abort
  call assert_equal(5, sedd#text#utf16_len('aé😀b'))
  call assert_equal({'line': 3, 'character': 8}, sedd#text#position(3, 'héllo 😀 wörld', 11))
  call assert_equal({'line': 0, 'character': 2}, sedd#text#position(0, '日本語', 6))
endfunction

function! Test_accept_splitting() abort
  call assert_equal('  foo', sedd#text#take("  foo.bar(x)\nnext", 'word'))
  call assert_equal('.', sedd#text#take('.bar(x)', 'word'))
  call assert_equal('wörld', sedd#text#take('wörld!', 'word'))
  call assert_equal("\n", sedd#text#take("\nnext line", 'word'))
  call assert_equal('foo bar', sedd#text#take("foo bar\nbaz", 'line'))
  call assert_equal("\n  baz", sedd#text#take("\n  baz\nqux", 'line'))
  call assert_equal("a\nb", sedd#text#take("a\nb", 'all'))
  call assert_equal('foo', sedd#text#trim_repeat('foo)', ')'))
  call assert_equal('a  b^A', sedd#text#display("a\tb\x01", 2))
endfunction

function! Test_request_building() abort
  call s:settings({'stop': 'line'})
  call s:fresh(['x = 1', 'héllo 😀 wörld'], 'python')
  let params = sedd#request_params(bufnr('%'), 'file:///t.py', 2, 12)
  call assert_equal({'uri': 'file:///t.py'}, params.textDocument)
  call assert_equal([{'start': {'line': 1, 'character': 8}, 'end': {'line': 1, 'character': 8}}], params.ranges)
  call assert_equal('python', params.languageId)
  call assert_equal('line', params.stop)
  call assert_equal(11, params.seed)
  call s:settings({})
endfunction

function! Test_first_suggestion() abort
  call s:fresh(['def add(a, b):', '    return a + b  # 😀 é', 'print(add(1, 2))'], 'python')
  call cursor(2, len('    return a + b  # 😀') + 1)
  call sedd#trigger()
  let s = s:wait_suggestion()
  let init = s:sent('initialize')[0]
  call assert_equal(4, init.params.initializationOptions.steps)
  call assert_equal(8, init.params.initializationOptions.span)
  call assert_equal(1, g:sedd_daemon.info.protocolVersion)
  let open = s:sent('textDocument/didOpen')[0]
  call assert_equal('python', open.params.textDocument.languageId)
  call assert_equal("def add(a, b):\n    return a + b  # 😀 é\nprint(add(1, 2))\n", open.params.textDocument.text)
  call assert_equal({'line': 1, 'character': 22}, s:sent('sedd/infill')[0].params.ranges[0].start)
  call assert_equal([2, len('    return a + b  # 😀') + 1], [s.lnum, s.col])
  call assert_match('^sedd \d\+ms 4 steps$', sedd#statusline())
endfunction

function! Test_accept_all_real() abort
  let line = 'héllo 😀 wörld'
  call s:fresh([line], 'text')
  call cursor(1, 12)
  call sedd#trigger()
  let s = s:wait_suggestion()
  call assert_true(sedd#accept('all'))
  call assert_equal(split(strpart(line, 0, 11) . s.text . strpart(line, 11), "\n", 1), getline(1, '$'))
  call assert_false(sedd#has_suggestion())
endfunction

function! Test_accept_word_line_all() abort
  call s:fresh(['ab'], 'text')
  call cursor(1, 2)
  let st = sedd#state()
  let st.suggestion = {'buf': bufnr('%'), 'lnum': 1, 'col': 2, 'text': "foo bar baz\nqux"}
  call assert_true(sedd#accept('word'))
  call assert_equal(['afoob'], getline(1, '$'))
  call assert_equal(" bar baz\nqux", st.suggestion.text)
  call sedd#on_change()
  call assert_true(sedd#has_suggestion(), 'our own accept must not dismiss the rest')
  call assert_true(sedd#accept('line'))
  call assert_equal(['afoo bar bazb'], getline(1, '$'))
  call assert_true(sedd#accept('all'))
  call assert_equal(['afoo bar baz', 'quxb'], getline(1, '$'))
  call assert_equal([2, 4], [line('.'), col('.')])
  call assert_false(sedd#accept('all'))
endfunction

function! Test_cancel_then_send() abort
  call s:fresh(['let x = 1;'], 'rust')
  call cursor(1, 4)
  call sedd#trigger()
  let first = sedd#state().pending
  call assert_true(first isnot v:null, 'first request in flight')
  let dropped = sedd#state().dropped
  call sedd#trigger()
  let second = sedd#state().pending
  call assert_notequal(first.id, second.id)
  let log = sedd#daemon#connection().sent
  let cancel_at = -1
  let second_at = -1
  for i in range(len(log))
    if log[i].method ==# '$/cancelRequest' && log[i].params.id == first.id | let cancel_at = i | endif
    if log[i].method ==# 'sedd/infill' && get(log[i], 'id', -1) == second.id | let second_at = i | endif
  endfor
  call assert_true(cancel_at >= 0 && cancel_at < second_at, 'cancel before the second request')
  call s:wait_suggestion()
  call assert_true(s:wait(5000, 'sedd#state().dropped > ' . dropped), 'first answer dropped')
endfunction

function! Test_stale_answer_dropped() abort
  call s:fresh(['abc'], 'text')
  call cursor(1, 2)
  call sedd#trigger()
  call assert_true(s:wait(5000, 'sedd#state().pending isnot v:null'), 'request in flight')
  let dropped = sedd#state().dropped
  call setline(1, 'abcd')
  call assert_true(s:wait(5000, 'sedd#state().pending is v:null'), 'answer')
  call assert_equal(dropped + 1, sedd#state().dropped)
  call assert_false(sedd#has_suggestion())
endfunction

let s:fill_result = v:null
function! Test_fill_selection() abort
  call s:fresh(['før XYZ', 'mid', 'ABC after'], 'text')
  let s:fill_result = v:null
  call sedd#fill_range(bufnr('%'), 1, len('før ') + 1, 3, 4, {err, fill -> execute('let s:fill_result = [err, fill]')})
  call assert_true(s:wait(10000, 's:fill_result isnot v:null'), 'fill answered')
  call assert_equal(v:null, s:fill_result[0])
  let req = s:sent('sedd/infill')[-1]
  call assert_equal(8, req.params.length)
  call assert_equal({'start': {'line': 0, 'character': 4}, 'end': {'line': 2, 'character': 3}}, req.params.ranges[0])
  call assert_equal('før ' . s:fill_result[1] . ' after', join(getline(1, '$'), "\n"))
endfunction

function! Test_filetype_switch_and_toggle() abort
  call s:settings({'filetypes': {'markdown': v:false, '*': v:true}})
  call s:fresh(['# title'], 'markdown')
  call assert_false(sedd#is_enabled())
  setlocal filetype=vim
  call assert_true(sedd#is_enabled())
  silent call sedd#enable(0)
  call assert_false(sedd#is_enabled())
  silent call sedd#enable(1)
  call assert_true(sedd#is_enabled())
  call s:settings({})
endfunction

function! Test_restart_after_death() abort
  call s:fresh(['first'], 'text')
  call cursor(1, 2)
  call sedd#trigger()
  call s:wait_suggestion()
  let starts = g:sedd_daemon.starts
  call job_stop(sedd#daemon#connection().job, 'kill')
  call assert_true(s:wait(5000, 'sedd#daemon#connection() is v:null'), 'exit seen')
  call assert_match('exited', g:sedd_daemon.error)
  call s:fresh(['again'], 'text')
  call cursor(1, 3)
  call sedd#trigger()
  call s:wait_suggestion()
  call assert_equal(starts + 1, g:sedd_daemon.starts)
  call assert_equal(1, len(s:sent('textDocument/didOpen')))
endfunction

function! s:socket_test(transport, listen) abort
  call sedd#daemon#stop()
  let job = job_start([s:binary, 'serve', '--model', s:model, '--listen', a:listen])
  call s:settings({'transport': a:transport})
  let ok = 0
  for i in range(50)
    call s:fresh(['sock'], 'text')
    call cursor(1, 2)
    call sedd#trigger()
    call s:wait(3000, 'sedd#has_suggestion() || g:sedd_daemon.error isnot v:null')
    if sedd#has_suggestion() | let ok = 1 | break | endif
    call sedd#daemon#restart()
    sleep 100m
  endfor
  call assert_true(ok, 'a suggestion over ' . a:transport . ': ' . string(g:sedd_daemon.error))
  call assert_equal(v:null, sedd#daemon#connection().job)
  call sedd#daemon#stop()
  call job_stop(job)
  call s:settings({})
endfunction

function! Test_unix_socket() abort
  let path = tempname() . '.sock'
  call s:socket_test('unix:' . path, 'unix:' . path)
endfunction

function! Test_tcp() abort
  let port = 20000 + (getpid() + 7) % 20000
  call s:socket_test('tcp:127.0.0.1:' . port, 'tcp:127.0.0.1:' . port)
endfunction

function! Test_protocol_version_refused() abort
  let fake = tempname()
  let body = '{"jsonrpc":"2.0","id":1,"result":{"capabilities":{},"sedd":{"protocolVersion":2}}}'
  call writefile(['#!/bin/sh', printf("printf 'Content-Length: %d\\r\\n\\r\\n%%s' '%s'", len(body), body),
        \ 'exec cat >/dev/null'], fake)
  call setfperm(fake, 'rwx------')
  call s:settings({'binary': fake})
  call s:fresh(['x'], 'text')
  call sedd#trigger()
  call assert_true(s:wait(5000, 'g:sedd_daemon.error isnot v:null'), 'refused')
  call assert_match('protocolVersion 2', g:sedd_daemon.error)
  call assert_equal(v:null, sedd#daemon#connection())
  call s:settings({})
endfunction

let s:failed = 0
let s:passed = 0
for s:name in ['utf16_columns', 'accept_splitting', 'request_building', 'first_suggestion', 'accept_all_real',
      \ 'accept_word_line_all', 'cancel_then_send', 'stale_answer_dropped', 'fill_selection',
      \ 'filetype_switch_and_toggle', 'restart_after_death', 'unix_socket', 'tcp', 'protocol_version_refused']
  let v:errors = []
  try
    call call('Test_' . s:name, [])
  catch
    call add(v:errors, v:exception . ' @ ' . v:throwpoint)
  endtry
  call sedd#dismiss()
  if empty(v:errors)
    let s:passed += 1
    call add(s:out, '  ok   ' . s:name)
  else
    let s:failed += 1
    call add(s:out, '  FAIL ' . s:name . ': ' . join(v:errors, ' | '))
  endif
endfor
call sedd#daemon#stop()
call add(s:out, printf('vim %d.%d logic: %d passed, %d failed', v:version / 100, v:version % 100, s:passed, s:failed))
call writefile(s:out, $SEDD_TEST_OUT)
if s:failed | cquit! | else | qall! | endif
