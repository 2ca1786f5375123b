# Shared by the scripts that drive real windows under Xvfb (tests/tk/*_test.sh,
# tests/apps/*window_test.sh); sourced, not run. Gives:
#   $work                 a scratch folder, removed on exit
#   $app_pid              set it to the program under test: killed on exit if still running
#   fail MESSAGE...       prints FAIL and every $work/*.out and *.err, exits 1
#   wait_until SECONDS DESCRIPTION COMMAND...
#                         polls COMMAND every 20 ms until it succeeds, or fails
#   title_matches WINDOW REGEX   true when the window's title matches (extended regex)
#   wait_title WINDOW REGEX      waits (20 s) until the title matches, failing if the program exits
#   current_title WINDOW         the window's title now
#   close_and_expect_exit WM_DELETE_WINDOW WINDOW LIMIT   the close button, then exit 0 in time
# Every wait polls something a person could see, under a deadline: no sleep
# stands in for synchronisation.
command -v xdotool >/dev/null || { echo "FAIL: xdotool is missing (scripts/install-deps installs it)" >&2; exit 1; }
[ -n "${DISPLAY:-}" ] || { echo "FAIL: no DISPLAY (run under tests/tk/with_xvfb.sh)" >&2; exit 1; }
# ThreadSanitizer sleeps 1 s in every exiting process by default (atexit_sleep_ms),
# which would eat the budget of a close-to-exit check; other builds ignore it.
export TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}atexit_sleep_ms=0"

work=$(mktemp -d "${TMPDIR:-/tmp}/window-test.XXXXXX")
app_pid=
window_test_cleanup() {
  # Only the program this script started, by its pid.
  if [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; then kill -9 "$app_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap window_test_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.out "$work"/*.err; do
    [ -s "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }
  done
  exit 1
}

wait_until() {
  local limit=$1 what=$2
  shift 2
  local deadline=$(($(date +%s%N) + limit * 1000000000))
  until "$@"; do
    [ "$(date +%s%N)" -lt "$deadline" ] || fail "$what: not within ${limit} s"
    sleep 0.02
  done
}

title_matches() { [[ $(xdotool getwindowname "$1" 2>/dev/null) =~ $2 ]]; }

program_lives() { [ -n "$app_pid" ] && kill -0 "$app_pid" 2>/dev/null; }

current_title() { xdotool getwindowname "$1" 2>/dev/null || true; }

wait_title() {
  local window=$1 regex=$2 deadline=$(($(date +%s%N) + 20000000000))
  until title_matches "$window" "$regex"; do
    program_lives || fail "the program exited while waiting for a title matching '$regex'"
    [ "$(date +%s%N)" -lt "$deadline" ] ||
      fail "the title never matched '$regex' within 20 s (last: '$(current_title "$window")')"
    sleep 0.02
  done
}

# close_and_expect_exit WM_DELETE_WINDOW WINDOW LIMIT_SECONDS: the window
# manager's close button (sent by the wm_delete_window tool), then the program
# must exit 0 within LIMIT_SECONDS. Sets elapsed_ms; clears app_pid.
close_and_expect_exit() {
  local wm_delete=$1 window=$2 limit=$3 start status=0
  start=$(date +%s%N)
  "$wm_delete" "$window" || fail "wm_delete_window $window failed"
  wait "$app_pid" || status=$?
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  app_pid=
  [ "$status" -eq 0 ] || fail "the program exited with $status after the close button"
  [ "$elapsed_ms" -le $((limit * 1000)) ] ||
    fail "the program took ${elapsed_ms} ms to exit after the close button (limit ${limit} s)"
}
