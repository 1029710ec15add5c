# sedd.kak: ghost-text code infill from a warm sedd daemon, for Kakoune.
# Kakoune has no long-lived plugin process: each suggestion is a background job (sedd-kak.sh) running
# `sedd infill --connect ADDR` against a daemon, and the answer comes back through `kak -p`.
# Documentation: `:doc sedd` is not available for plugins; see editors/README.md and the option docstrings.

# ---- settings (every one, with its default) ----
declare-option -docstring 'the sedd executable' str sedd_binary sedd
declare-option -docstring "model directory for the daemon sedd.kak starts; '' = the daemon's default model" \
    str sedd_model ''
declare-option -docstring "'' = start our own `sedd serve --listen unix:...` (and restart it if it dies); or the address of a running daemon: unix:PATH or tcp:HOST:PORT" \
    str sedd_transport ''
declare-option -docstring 'denoising steps per suggestion (1..1024)' int sedd_steps 16
declare-option -docstring 'hole size in model tokens (suggestions and selection fills)' int sedd_span 32
declare-option -docstring 'milliseconds of quiet (after the InsertIdle hook) before a request' int sedd_debounce 150
declare-option -docstring "'line' asks for single-line suggestions, 'none' for multi-line" str sedd_stop none
declare-option -docstring "a number makes suggestions reproducible; '' = random" str sedd_seed ''
declare-option -docstring 'suggestions while typing (sedd-toggle)' bool sedd_enabled true
declare-option -docstring 'file types where suggestions stay off' str-list sedd_disabled_filetypes
declare-option -docstring 'status: the last latency and steps (for modelinefmt: %opt{sedd_status})' str sedd_status sedd

# ---- internal state ----
declare-option -hidden str sedd_script %sh{ printf '%s/sedd-kak.sh' "$(dirname "$kak_source")" }
declare-option -hidden str sedd_state %sh{
    dir="${TMPDIR:-/tmp}/sedd-kak-$(id -u)-$kak_session"; mkdir -p "$dir" && chmod 700 "$dir"; printf '%s' "$dir" }
declare-option -hidden range-specs sedd_ghost_ranges
declare-option -hidden str sedd_ghost_file ''        # the suggestion's exact text
declare-option -hidden str sedd_ghost_at ''          # "timestamp line column" where it is shown
declare-option -hidden str sedd_keep ''              # "timestamp line column" after a partial accept
declare-option -hidden int sedd_dropped 0            # stale answers thrown away (tests read this)

set-face global SeddGhost comment

define-command -docstring 'sedd-enable-window: suggestions in this window' sedd-enable-window %{
    add-highlighter -override window/sedd replace-ranges sedd_ghost_ranges
    hook -group sedd window InsertIdle .* sedd-auto
    hook -group sedd window InsertChar .* sedd-dismiss
    hook -group sedd window InsertDelete .* sedd-dismiss
    hook -group sedd window InsertMove .* sedd-dismiss
    hook -group sedd window ModeChange pop:insert:.* sedd-dismiss
    map window insert <c-f> '<a-;>:sedd-trigger<ret>'
}
hook -group sedd global WinCreate .* sedd-enable-window
try %{ sedd-enable-window } # sourced from a client (kak -e, :source): its window already exists
hook -group sedd global KakEnd .* %{ nop %sh{ "$kak_opt_sedd_script" stop-daemon "$kak_opt_sedd_state"; rm -rf "$kak_opt_sedd_state" } }

define-command -docstring 'sedd-toggle: turn suggestions while typing off or on' sedd-toggle %{
    evaluate-commands %sh{ if [ "$kak_opt_sedd_enabled" = true ]; then echo 'set-option global sedd_enabled false; sedd-dismiss; echo sedd: suggestions off'; else echo 'set-option global sedd_enabled true; echo sedd: suggestions on'; fi }
}

define-command -hidden sedd-auto %{ evaluate-commands %sh{
    [ "$kak_opt_sedd_enabled" = true ] || exit 0
    # our own partial accept leaves the rest of the suggestion in place
    [ "$kak_opt_sedd_keep" = "$kak_timestamp $kak_cursor_line $kak_cursor_column" ] && exit 0
    eval "set -- $kak_quoted_opt_sedd_disabled_filetypes"
    for ft in "$@"; do [ "$ft" = "$kak_opt_filetype" ] && exit 0; done
    echo sedd-trigger
} }

define-command -docstring 'sedd-trigger: ask for a suggestion at the cursor now' sedd-trigger %{
    sedd-dismiss
    evaluate-commands -draft %{ execute-keys '%'; echo -to-file "%opt{sedd_state}/content-%val{client}" %val{selection} }
    nop %sh{
        export SEDD_BINARY="$kak_opt_sedd_binary" SEDD_MODEL="$kak_opt_sedd_model" SEDD_TRANSPORT="$kak_opt_sedd_transport" \
            SEDD_STEPS="$kak_opt_sedd_steps" SEDD_SPAN="$kak_opt_sedd_span" SEDD_DEBOUNCE="$kak_opt_sedd_debounce" \
            SEDD_STOP="$kak_opt_sedd_stop" SEDD_SEED="$kak_opt_sedd_seed" SEDD_LANGUAGE="$kak_opt_filetype"
        content="$kak_opt_sedd_state/content-$kak_client"
        cp "$content" "$content.$kak_timestamp" 2>/dev/null && content="$content.$kak_timestamp"
        setsid "$kak_opt_sedd_script" request "$kak_opt_sedd_state" "$kak_session" "$kak_client" "$kak_timestamp" \
            "$kak_cursor_line" "$kak_cursor_column" "$kak_cursor_byte_offset" "$content" </dev/null >/dev/null 2>&1 &
    }
    set-option window sedd_status 'sedd …'
}

# sedd-show TIMESTAMP LINE COLUMN FILLFILE STATUS: draws an answer, unless the buffer or the cursor moved on.
define-command -hidden -params 5 sedd-show %{ evaluate-commands %sh{
    set_status() { printf "set-option window sedd_status '%s'\n" "$1"; }
    if [ "$1" != "$kak_timestamp" ] || [ "$2" != "$kak_cursor_line" ] || [ "$3" != "$kak_cursor_column" ] \
        || [ "$kak_opt_sedd_enabled" != true ]; then
        echo "set-option -add window sedd_dropped 1"; rm -f "$4" "$4".*; exit 0
    fi
    set_status "$5"
    [ -s "$4" ] || exit 0
    echo "sedd-draw '$4'"
} }

# sedd-draw FILLFILE: the suggestion in FILLFILE as ghost text at the cursor, and the accept keys.
define-command -hidden -params 1 sedd-draw %{
    evaluate-commands %sh{
        "$kak_opt_sedd_script" display "$1" "$1.display"
        # %file{} takes a literal path, so the command is written out here
        printf 'set-option window sedd_ghost_ranges %%val{timestamp} "%%val{cursor_line}.%%val{cursor_column}+0|%%file{%s}"\n' "$1.display"
    }
    set-option window sedd_ghost_file %arg{1}
    set-option window sedd_ghost_at "%val{timestamp} %val{cursor_line} %val{cursor_column}"
    map window insert <tab> '<a-;>:sedd-accept all<ret>'
    map window insert <s-tab> '<a-;>:sedd-accept line<ret>'
    map window insert <c-b> '<a-;>:sedd-accept word<ret>'
    map window insert <c-]> '<a-;>:sedd-dismiss<ret>'
}

define-command -hidden -params 1 sedd-failed %{
    set-option window sedd_status "sedd: %arg{1}"
}

define-command -docstring 'sedd-dismiss: remove the suggestion and cancel the request in flight' sedd-dismiss %{
    evaluate-commands %sh{
        "$kak_opt_sedd_script" cancel "$kak_opt_sedd_state" "$kak_client"
        [ -n "$kak_opt_sedd_ghost_file" ] && rm -f "$kak_opt_sedd_ghost_file" "$kak_opt_sedd_ghost_file".*
        echo "unset-option window sedd_ghost_ranges; set-option window sedd_ghost_file ''; set-option window sedd_ghost_at ''; set-option window sedd_keep ''"
        for key in '<tab>' '<s-tab>' '<c-b>' '<c-]>'; do echo "unmap window insert $key"; done
    }
}

# sedd-accept all|line|word: inserts that part of the suggestion at the cursor; the rest stays as ghost text.
define-command -docstring 'sedd-accept [all|line|word]: accept the suggestion, its first line or word' -params 0..1 \
    sedd-accept %{ evaluate-commands -save-regs s %sh{
    [ -n "$kak_opt_sedd_ghost_file" ] && [ "$kak_opt_sedd_ghost_at" = "$kak_timestamp $kak_cursor_line $kak_cursor_column" ] || exit 0
    ghost="$kak_opt_sedd_ghost_file"; piece="$kak_opt_sedd_state/piece-$kak_client"; rest="$ghost-rest"
    "$kak_opt_sedd_script" take "${1:-all}" "$ghost" "$piece" "$rest"
    echo "sedd-dismiss"
    echo "set-register s %file{$piece}"
    echo "execute-keys -draft ',\"sP'"
    if [ -s "$rest" ]; then
        echo "sedd-draw '$rest'"
        echo "set-option window sedd_keep %opt{sedd_ghost_at}"
    fi
} }

define-command -docstring 'sedd-fill: replace the main selection with a fill of sedd_span tokens' sedd-fill %{
    evaluate-commands -draft %{ execute-keys '%'; echo -to-file "%opt{sedd_state}/fill-content" %val{selection} }
    evaluate-commands -save-regs s %sh{
        export SEDD_BINARY="$kak_opt_sedd_binary" SEDD_MODEL="$kak_opt_sedd_model" SEDD_TRANSPORT="$kak_opt_sedd_transport" \
            SEDD_STEPS="$kak_opt_sedd_steps" SEDD_SPAN="$kak_opt_sedd_span" SEDD_STOP=none SEDD_SEED="$kak_opt_sedd_seed" \
            SEDD_LANGUAGE="$kak_opt_filetype"
        script="$kak_opt_sedd_script"; content="$kak_opt_sedd_state/fill-content"; out="$kak_opt_sedd_state/fill-out"
        anchor=${kak_selection_desc%,*}; cursor=${kak_selection_desc#*,}
        a=$("$script" offset "$content" "${anchor%.*}" "${anchor#*.}"); c=$("$script" offset "$content" "${cursor%.*}" "${cursor#*.}")
        if [ "$a" -le "$c" ]; then start=$a; last=$c; else start=$c; last=$a; fi
        end=$("$script" char-end "$content" "$last")
        started=$(date +%s%N)
        if "$script" fill "$kak_opt_sedd_state" "$start" "$end" "$content" "$out" 2>"$out.err"; then
            echo "set-register s %file{$out}"
            echo "execute-keys '\"sR'"
            echo "set-option window sedd_status 'sedd $((($(date +%s%N) - started) / 1000000))ms $kak_opt_sedd_steps steps'"
        else
            printf "fail 'sedd: %s'\n" "$(tail -n 1 "$out.err" | sed "s/'/''/g")"
        fi
    }
}

define-command -docstring 'sedd-status: show the status and the settings' sedd-status %{
    info -title sedd %sh{
        printf '%s\ntransport %s, binary %s, model %s\nsteps %s, span %s, debounce %sms\n' "$kak_opt_sedd_status" \
            "${kak_opt_sedd_transport:-own daemon on a Unix socket}" "$kak_opt_sedd_binary" "${kak_opt_sedd_model:-(default)}" \
            "$kak_opt_sedd_steps" "$kak_opt_sedd_span" "$kak_opt_sedd_debounce"
    }
}

define-command -docstring 'sedd-restart: stop our own daemon; the next request starts it again' sedd-restart %{
    nop %sh{ "$kak_opt_sedd_script" stop-daemon "$kak_opt_sedd_state" }
}
