#!/usr/bin/env bash
# The shell half of sedd.kak: Kakoune has no long-lived client process, so each request is a background job
# running `sedd infill --connect ADDR` against a warm daemon, and the answer goes back with `kak -p`.
# Subcommands (all state lives in STATE, a per-session directory):
#   address STATE BINARY MODEL TRANSPORT    ensure a daemon (starting or restarting our own) and print its address
#   request STATE SESSION CLIENT TIMESTAMP LINE COLUMN OFFSET CONTENT   (settings in SEDD_* variables)
#                                           background job: debounce, cancel the previous job, infill, send back
#   cancel STATE CLIENT                     kill the client's job in flight (its connection closes: the daemon cancels)
#   fill STATE OFFSET END CONTENT OUT       fill the bytes OFFSET..END of CONTENT; the fill goes to OUT
#   offset CONTENT LINE COLUMN              byte offset of a Kakoune line.column (1-based, bytes)
#   char-end CONTENT OFFSET                 offset just past the UTF-8 character starting at OFFSET
#   take KIND TEXTFILE PIECE REST           split a suggestion for accepting all, a line or a word
#   display TEXTFILE OUT                    the suggestion as Kakoune markup for replace-ranges
#   stop-daemon STATE                       stop the daemon we started
set -u
MARKER="sedd-kak-hole-5f1c"

kakquote() { local s=${1//\'/\'\'}; printf "'%s'" "$s"; }

# Whether PID runs (a daemon killed while its parent is gone can stay a zombie where nothing reaps it).
alive() {
    local stat
    kill -0 "$1" 2>/dev/null || return 1
    [[ -r "/proc/$1/stat" ]] || return 0
    stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    [[ "${stat%% *}" != Z ]]
}

# Starts (or restarts after it died) our own `sedd serve --listen unix:STATE/daemon.sock` and waits for it.
ensure_daemon() {
    local state="$1" binary="$2" model="$3" sock="$1/daemon.sock" pid
    exec 9>"$state/daemon.lock"
    flock -w 20 9 || return 1
    pid="$(cat "$state/daemon.pid" 2>/dev/null)"
    if [[ -n "$pid" ]] && alive "$pid" && [[ -S "$sock" ]]; then flock -u 9; return 0; fi
    rm -f "$sock" # ours, and its daemon is gone: waiting below must see the new daemon's socket
    local args=(serve --listen "unix:$sock")
    [[ -n "$model" ]] && args+=(--model "$model")
    # not inheriting the lock's descriptor: a job killed while holding the lock must release it
    setsid "$binary" "${args[@]}" </dev/null >/dev/null 2>"$state/daemon.log" 9>&- &
    echo "$!" >"$state/daemon.pid"
    echo "$(date +%s)" >>"$state/daemon.starts"
    for ((i = 0; i < 200; i++)); do
        [[ -S "$sock" ]] && break
        alive "$!" || break
        sleep 0.05
    done
    flock -u 9
    [[ -S "$sock" ]]
}

address() {
    local state="$1" binary="$2" model="$3" transport="$4"
    if [[ -n "$transport" ]]; then echo "$transport"; return 0; fi
    ensure_daemon "$state" "$binary" "$model" || { echo "the daemon did not start: $(tail -n 1 "$state/daemon.log" 2>/dev/null)" >&2; return 1; }
    echo "unix:$state/daemon.sock"
}

offset() { # CONTENT LINE COLUMN
    local before
    before=$(head -n "$(($2 - 1))" "$1" | wc -c)
    echo $((before + $3 - 1))
}

char_end() { # CONTENT OFFSET
    local lead
    lead=$(tail -c +"$(($2 + 1))" "$1" | head -c 1 | od -An -tu1 | tr -d ' ')
    [[ -z "$lead" ]] && { echo "$2"; return; }
    if ((lead >= 240)); then echo $(($2 + 4)); elif ((lead >= 224)); then echo $(($2 + 3));
    elif ((lead >= 192)); then echo $(($2 + 2)); else echo $(($2 + 1)); fi
}

# infill ADDRESS CONTENT START END OUT: fills bytes START..END of CONTENT; writes the fill (exact bytes) to OUT.
infill() {
    local address="$1" content="$2" start="$3" end="$4" out="$5" total filled
    if grep -q "$MARKER" "$content"; then echo "the buffer contains sedd's hole marker" >&2; return 1; fi
    local args=(infill --connect "$address" --marker "$MARKER" --span "${SEDD_SPAN:-32}" --steps "${SEDD_STEPS:-16}")
    [[ -n "${SEDD_SEED:-}" ]] && args+=(--seed "$SEDD_SEED")
    [[ "${SEDD_STOP:-none}" != none ]] && args+=(--stop "$SEDD_STOP")
    [[ -n "${SEDD_LANGUAGE:-}" ]] && infill_supports_language && args+=(--language "$SEDD_LANGUAGE")
    { head -c "$start" "$content"; printf '<|%s|>' "$MARKER"; tail -c +"$((end + 1))" "$content"; } |
        "${SEDD_BINARY:-sedd}" "${args[@]}" >"$out.whole" 2>"$out.err" || return 1
    # the daemon returns the text outside the hole byte for byte, so the fill is what lies between
    total=$(wc -c <"$out.whole")
    filled=$((total - start - ($(wc -c <"$content") - end)))
    ((filled >= 0)) || { echo "the answer is shorter than the text sent" >&2; return 1; }
    tail -c +"$((start + 1))" "$out.whole" | head -c "$filled" >"$out"
}

# Older sedd builds have no --language for infill; ask once per binary.
infill_supports_language() {
    local cache="${SEDD_STATE:-/tmp}/language-option"
    [[ -f "$cache" ]] || { "${SEDD_BINARY:-sedd}" infill --help 2>&1 | grep -q -- '--language' && echo yes >"$cache" || echo no >"$cache"; }
    [[ "$(cat "$cache")" == yes ]]
}

cancel() { # STATE CLIENT
    local pid
    pid="$(cat "$1/job-$2.pid" 2>/dev/null)" || return 0
    [[ -n "$pid" ]] && kill -- -"$pid" 2>/dev/null
    rm -f "$1/job-$2.pid"
    return 0
}

# send_kak SESSION CLIENT COMMAND: runs COMMAND in that client's context.
send_kak() { printf 'evaluate-commands -client %s %s\n' "$2" "$(kakquote "$3")" | kak -p "$1"; }

request() { # STATE SESSION CLIENT TIMESTAMP LINE COLUMN OFFSET CONTENT
    local state="$1" session="$2" client="$3" timestamp="$4" line="$5" column="$6" offset="$7" content="$8"
    local pidfile="$state/job-$client.pid" out="$state/fill-$client-$$" address started status
    CLEANUP_CONTENT="$content"
    trap 'rm -f "$CLEANUP_CONTENT"' EXIT
    trap 'exit 0' TERM
    cancel "$state" "$client" # cancel-then-send: the previous job (and its connection) goes first
    echo "$$" >"$pidfile"
    sleep "$(awk -v ms="${SEDD_DEBOUNCE:-150}" 'BEGIN { printf "%.3f", ms / 1000 }')"
    [[ "$(cat "$pidfile" 2>/dev/null)" == "$$" ]] || exit 0
    if ! address=$(address "$state" "${SEDD_BINARY:-sedd}" "${SEDD_MODEL:-}" "${SEDD_TRANSPORT:-}" 2>"$out.err"); then
        send_kak "$session" "$client" "sedd-failed $(kakquote "$(tail -n 1 "$out.err")")"
        exit 0
    fi
    started=$(date +%s%N)
    if ! infill "$address" "$content" "$offset" "$offset" "$out"; then
        [[ "$(cat "$pidfile" 2>/dev/null)" == "$$" ]] &&
            send_kak "$session" "$client" "sedd-failed $(kakquote "$(tail -n 1 "$out.err")")"
        rm -f "$out" "$out".*
        exit 0
    fi
    [[ "$(cat "$pidfile" 2>/dev/null)" == "$$" ]] || { rm -f "$out" "$out".*; exit 0; }
    rm -f "$pidfile"
    display "$out" "$out.display"
    status="sedd $(((($(date +%s%N) - started) / 1000000)))ms ${SEDD_STEPS:-16} steps"
    send_kak "$session" "$client" "sedd-show $timestamp $line $column $(kakquote "$out") $(kakquote "$status")"
}

# take KIND TEXTFILE PIECEFILE RESTFILE: all; line = up to the first newline (a newline and the next line
# when the text starts with one); word = blanks, then a run of word characters or of punctuation.
take() {
    local kind="$1" text piece
    text="$(cat "$2"; printf x)"; text="${text%x}"
    case "$kind" in
        all) piece="$text" ;;
        line) if [[ "$text" == $'\n'* ]]; then local after="${text:1}"; piece=$'\n'"${after%%$'\n'*}"
              else piece="${text%%$'\n'*}"; fi ;;
        word) if [[ "$text" == $'\n'* ]]; then piece=$'\n'
              else
                  local LC_ALL=C # bytes: anything not ASCII space, punctuation or control is a word byte
                  [[ "$text" =~ ^([[:blank:]]*([^[:space:][:punct:][:cntrl:]]|_)+) ]] ||
                      [[ "$text" =~ ^([[:blank:]]*[[:punct:]]+) ]] || [[ "$text" =~ ^([[:blank:]]*) ]]
                  piece="${BASH_REMATCH[1]}"
              fi ;;
    esac
    printf '%s' "$piece" >"$3"
    printf '%s' "${text:${#piece}}" >"$4"
}

# display TEXTFILE OUT: Kakoune markup for replace-ranges: {SeddGhost}, '{' and '\' escaped, control characters
# as ^X, tabs as spaces, newlines as ⏎ (a replace-ranges text stays on its line).
display() {
    LC_ALL=C awk 'BEGIN { RS = "\001\002\003"; ORS = ""; for (i = 1; i < 32; i++) code[sprintf("%c", i)] = i } {
        out = ""
        for (i = 1; i <= length($0); i++) {
            c = substr($0, i, 1)
            if (c == "\\") out = out "\\\\"
            else if (c == "{") out = out "\\{"
            else if (c == "\t") out = out "    "
            else if (c == "\n") out = out "⏎"
            else if (c == "\177") out = out "^?"
            else if (c in code) out = out "^" sprintf("%c", code[c] + 64)
            else out = out c
        }
        print "{SeddGhost}" out
    }' "$1" >"$2"
}

fill() { # STATE OFFSET END CONTENT OUT  (settings in SEDD_* variables)
    local address
    address=$(address "$1" "${SEDD_BINARY:-sedd}" "${SEDD_MODEL:-}" "${SEDD_TRANSPORT:-}") || return 1
    infill "$address" "$4" "$2" "$3" "$5"
}

stop_daemon() {
    local pid
    pid="$(cat "$1/daemon.pid" 2>/dev/null)" && [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
    rm -f "$1/daemon.pid"
}

command="$1"; shift
case "$command" in
    address) address "$@" ;;
    request) SEDD_STATE="$1" request "$@" ;;
    cancel) cancel "$@" ;;
    fill) SEDD_STATE="$1" fill "$@" ;;
    offset) offset "$@" ;;
    char-end) char_end "$@" ;;
    take) take "$@" ;;
    display) display "$@" ;;
    stop-daemon) stop_daemon "$@" ;;
    *) echo "sedd-kak.sh: unknown subcommand '$command'" >&2; exit 2 ;;
esac
