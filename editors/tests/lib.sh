# Shared by the editor test scripts (source it): the sedd binary, a tiny model, seed search, tmux.
# shellcheck shell=bash

EDITORS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(cd "$EDITORS_DIR/.." && pwd)"

# SEDD_BINARY, else the newest .build*/{release,debug}/sedd under the repository root.
sedd_binary() {
    if [[ -n "${SEDD_BINARY:-}" ]]; then echo "$SEDD_BINARY"; return; fi
    local found
    found="$(ls -t "$REPO_DIR"/.build*/{release,debug}/sedd 2>/dev/null | head -n 1)"
    if [[ -z "$found" ]]; then echo "no sedd binary: set SEDD_BINARY or build one" >&2; return 1; fi
    echo "$found"
}

# A random-weight byte model in a new temp dir (SEDD_TEST_MODEL reuses one).
sedd_test_model() {
    if [[ -n "${SEDD_TEST_MODEL:-}" ]]; then echo "$SEDD_TEST_MODEL"; return; fi
    local dir
    dir="$(mktemp -d)/model"
    "$(sedd_binary)" init --config "$REPO_DIR/configs/tiny-bytes.json" --out "$dir" --seed 7 >/dev/null || return 1
    echo "$dir"
}

# find_seed TEXT LINE CHARACTER LANGUAGE LENGTH STEPS: the first seed whose fill for a hole at
# (LINE, CHARACTER) of TEXT is LENGTH plain visible ASCII characters (no quote, backslash, space), so a
# screen test can look for it. Prints "SEED FILL". TEXT must be JSON-escaped already.
find_seed() {
    local text="$1" line="$2" character="$3" lang="$4" length="$5" steps="$6" bin model base seed
    bin="$(sedd_binary)"; model="$(sedd_test_model)"
    for base in 0 200 400 600 800 1000 1200 1400 1600 1800; do
        local found
        found="$(for ((seed = base + 1; seed <= base + 200; seed++)); do
            printf '{"jsonrpc":"2.0","id":%d,"method":"sedd/infill","params":{"text":"%s","ranges":[{"start":{"line":%d,"character":%d},"end":{"line":%d,"character":%d}}],"languageId":"%s","length":%d,"steps":%d,"seed":%d}}\n' \
                "$seed" "$text" "$line" "$character" "$line" "$character" "$lang" "$length" "$steps" "$seed"
        done | "$bin" serve --model "$model" --max-queue 256 2>/dev/null |
            grep -E "\"fills\":\[\"[]!#-[^-~]{$length}\"\]" | head -n 1)"
        if [[ -n "$found" ]]; then
            seed="$(sed -E 's/^\{"id":([0-9]+),.*/\1/' <<<"$found")"
            echo "$seed $(sed -E 's/.*"fills":\["([^"]*)"\].*/\1/' <<<"$found")"
            return 0
        fi
    done
    echo "find_seed: no seed gave a printable fill" >&2
    return 1
}

# wait_for_screen SOCKET PATTERN [SECONDS]: polls the tmux pane until a line matches (grep -E).
wait_for_screen() {
    local socket="$1" pattern="$2" limit="${3:-20}" i
    for ((i = 0; i < limit * 10; i++)); do
        if tmux -L "$socket" capture-pane -p 2>/dev/null | grep -qE -- "$pattern"; then return 0; fi
        sleep 0.1
    done
    echo "--- screen (waited for: $pattern) ---" >&2
    tmux -L "$socket" capture-pane -p >&2 || true
    return 1
}

# regex-escapes a string for grep -E
regex_escape() { sed -E 's/[][\.*^$+?(){}|/]/\\&/g' <<<"$1"; }
