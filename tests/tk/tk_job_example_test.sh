#!/usr/bin/env bash
# Drives examples/tk_job as a person would, on the display in $DISPLAY (run it
# under with_xvfb.sh):
#   tk_job_example_test.sh TK_JOB WM_DELETE_WINDOW
# 1. --autostart --exit-when-done: the work runs to the end and the program
#    exits 0 by itself, printing one ending (a value).
# 2. Close while the work runs: once the window's title shows progress (the
#    work is under way), the window manager's close message (WM_DELETE_WINDOW,
#    sent by the wm_delete_window tool; no window manager runs here) makes the
#    program exit 0 within 1 s, with exactly one ending: cancelled.
# 3. --fail-at: an error dialog (a second toplevel, titled "Error") appears,
#    the program stays up, stderr has the error line; dismissed, then the main
#    window closed, the program exits 0 with one ending: the error.
# No sleeps for synchronisation: every wait polls an observable condition
# under a deadline. Exits 0 when all pass, 1 at the first failure.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: tk_job_example_test.sh TK_JOB WM_DELETE_WINDOW" >&2
  exit 2
fi
tk_job=$1
wm_delete_window=$2
source "$(dirname "$0")/window_test_support.sh"

# The first window whose title matches the regex $1 (xdotool's --name), or nothing.
window_named() { xdotool search --name "$1" 2>/dev/null | head -n 1; }
has_window() { [ -n "$(window_named "$1")" ]; }
title_shows_progress() { xdotool getwindowname "$1" 2>/dev/null | grep -Eq ' ([1-9][0-9]?|100)%$'; }
program_gone() { ! program_lives; }
no_window() { ! has_window "$1"; }
# Sets status to the exit status of the program (gone, or about to be).
reap() {
  status=0
  wait "$app_pid" || status=$?
  app_pid=
}
# Checks that $1 (stdout) holds exactly one ending and that it matches the regex $2.
one_ending() {
  local count
  count=$(grep -c '^ending: ' "$1" || true)
  [ "$count" -eq 1 ] || fail "expected exactly one ending, got $count"
  grep -Eq "^ending: $2" "$1" || fail "the ending is not '$2': $(grep '^ending: ' "$1")"
}

# 1. Autostart, runs to the end, exits 0 by itself.
echo "== runs to the end and exits by itself"
"$tk_job" --autostart --steps 20 --step-ms 5 --exit-when-done >"$work/1.out" 2>"$work/1.err" &
app_pid=$!
wait_until 20 "the program to exit by itself" program_gone
reap
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
one_ending "$work/1.out" "work #1: value 20 steps$"

# 2. Close while the work runs: cancelled, exit 0 within 1 s.
echo "== close while the work runs"
"$tk_job" --autostart --steps 1000 --step-ms 10 >"$work/2.out" 2>"$work/2.err" &
app_pid=$!
wait_until 20 "the main window to appear" has_window '^tk_job'
main=$(window_named '^tk_job')
wait_until 20 "the title to show progress" title_shows_progress "$main"
echo "   title: $(xdotool getwindowname "$main")"
program_gone && fail "the program exited before the close"
"$wm_delete_window" "$main" || fail "wm_delete_window $main failed"
wait_until 1 "the program to exit after WM_DELETE_WINDOW" program_gone
reap
[ "$status" -eq 0 ] || fail "exit status $status after the close, expected 0"
one_ending "$work/2.out" "work #1: cancelled$"
grep -q 'did not stop' "$work/2.err" && fail "the work outlived the close deadline"

# 3. The work throws: an error dialog, no crash; dismiss it, close, exit 0.
echo "== the work fails: error dialog"
"$tk_job" --autostart --steps 50 --step-ms 5 --fail-at 10 >"$work/3.out" 2>"$work/3.err" &
app_pid=$!
wait_until 20 "the error dialog to appear" has_window '^Error$'
dialog=$(window_named '^Error$')
wait_until 5 "the error line on stderr" grep -q "the job 'work #1' threw: step 10 failed" "$work/3.err"
program_gone && fail "the program exited while its error dialog was up"
main=$(window_named '^tk_job')
if [ -z "$main" ] || [ "$main" = "$dialog" ]; then fail "the main window is not there beside the dialog"; fi
"$wm_delete_window" "$dialog" || fail "wm_delete_window $dialog failed"
wait_until 5 "the error dialog to go" no_window '^Error$'
program_gone && fail "the program exited when the dialog was dismissed"
"$wm_delete_window" "$main" || fail "wm_delete_window $main failed"
wait_until 5 "the program to exit after the close" program_gone
reap
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"
one_ending "$work/3.out" "work #1: error: step 10 failed"

echo "PASS"
