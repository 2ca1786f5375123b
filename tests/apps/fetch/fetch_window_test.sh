#!/usr/bin/env bash
# The fetch window as a person uses it, on a real (virtual) display:
#   fetch_window_test.sh FETCH SERVE_FOR_TESTS WM_DELETE_WINDOW CLOSE_LIMIT_SECONDS
# Run under tests/tk/with_xvfb.sh, with a test HTTP server on 127.0.0.1
# (serve_for_tests). Keys go through xdotool, the close button through
# wm_delete_window; the window is followed through its title, which counts
# the finished transfers, and through the files it writes.
#  1. URLs typed into the box, Ctrl+Return: a file is downloaded whole, a 404
#     and a line of Tcl syntax ([exec touch F]) become error rows (the line
#     runs nothing), a stalled transfer keeps downloading.
#  2. The stalled row's own Cancel button (reached with Tab): cancelled.
#  3. A second window with a transfer the server holds at half, closed with the close button:
#     the process exits 0 within CLOSE_LIMIT_SECONDS and the partial file is
#     kept for resume.
set -euo pipefail

fetch=$1
serve=$2
wm_delete=$3
close_limit=$4

source "$(dirname "$0")/../../tk/window_test_support.sh"

# The server lives as long as this script: it exits when its stdin (our pipe) closes.
coproc server { exec "$serve"; }
read -r word port <&"${server[0]}" || fail "the test server did not start"
[ "$word" = port ] || fail "the test server said '$word $port'"
base="http://127.0.0.1:$port"

open_window() {
  "$fetch" --gui --dir "$1" "${@:2}" >"$work/fetch.out" 2>"$work/fetch.err" &
  app_pid=$!
  window=$(timeout 20 xdotool search --sync --name '^fetch' | head -1) || fail "no fetch window appeared"
  # No window manager runs here: give the window the keyboard focus directly.
  xdotool windowfocus --sync "$window" 2>/dev/null || true
  wait_title "$window" '^fetch$'
}

# 1. Four lines typed into the box (which has the focus), then Ctrl+Return.
mkdir "$work/one" "$work/two"
open_window "$work/one"
for line in "$base/file/300000/whole.bin" "$base/status/404" "[exec touch $work/ran]" "$base/slow/100000"; do
  xdotool type --delay 2 "$line"
  xdotool key Return
done
xdotool key ctrl+Return
wait_title "$window" '^fetch — 3 of 4 finished \(1 done, 2 failed, 0 cancelled\)'
[ ! -e "$work/ran" ] || fail "a typed [exec ...] line ran as Tcl"
[ "$(stat -c %s "$work/one/whole.bin" 2>/dev/null)" = 300000 ] || fail "whole.bin is missing or not 300000 bytes"

# 2. Focus leaves the box (Ctrl+Tab), passes Download All and Cancel All;
# the only enabled row button is the stalled transfer's Cancel.
xdotool key ctrl+Tab Tab Tab space
wait_title "$window" '^fetch — 4 of 4 finished \(1 done, 2 failed, 1 cancelled\)$'
"$wm_delete" "$window"
status=0
wait "$app_pid" || status=$?
app_pid=
[ "$status" -eq 0 ] || fail "fetch exited with $status after closing an idle window"

# 3. A stalled transfer, and the close button while it runs.
open_window "$work/two" "$base/hold/200000/held.bin"
xdotool key ctrl+Return
wait_title "$window" '^fetch — 0 of 1 finished'
# The server sends half the file, then holds: wait until bytes are in the .part file.
deadline=$((SECONDS + 20))
until [ -n "$(find "$work/two" -name '*.part' -size +0c)" ]; do
  [ $SECONDS -lt $deadline ] || fail "no byte of the stalled transfer reached its .part file"
  sleep 0.02
done
close_and_expect_exit "$wm_delete" "$window" "$close_limit"
ls "$work/two" | grep -q '\.part$' || fail "the partial file was not kept: $(ls "$work/two")"
ls "$work/two" | grep -vq '\.part$' && fail "a cut-off transfer left a complete-looking file: $(ls "$work/two")"
echo "ok: typed lines became transfers (Tcl stayed text), row Cancel, closed busy in ${elapsed_ms} ms, .part kept"
