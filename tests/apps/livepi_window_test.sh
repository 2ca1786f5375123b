#!/usr/bin/env bash
# The livepi window as a person uses it, on a real (virtual) display:
#   livepi_window_test.sh LIVEPI WM_DELETE_WINDOW CLOSE_LIMIT_SECONDS
# Run under tests/tk/with_xvfb.sh. Drives the window with xdotool (keys) and
# wm_delete_window (the close button), and follows it through its title,
# which says the state and the points, and through its worker processes.
#  1. Tcl syntax typed into the seed field is text: [expr 6*7] is not taken as
#     seed 42, [exec touch F] creates nothing, $var and unbalanced braces are
#     refused as text; the window goes on working.
#  2. A run starts (Return in the seed field) and snapshots arrive.
#  3. Space stops it: its workers are gone. Space again resumes it with fresh
#     workers (new pids), at the points where it stopped.
#  4. The close button while the workers are busy: the process exits 0 within
#     CLOSE_LIMIT_SECONDS and no worker remains; --json reports the run.
set -euo pipefail

livepi=$1
wm_delete=$2
close_limit=$3

source "$(dirname "$0")/../tk/window_test_support.sh"

workers_of() { pgrep -P "$app_pid" | sort || true; }

# Waits until the window has exactly $1 worker processes; prints their pids.
wait_workers() {
  local deadline=$((SECONDS + 20)) pids
  while :; do
    pids=$(workers_of)
    if [ "$(grep -c . <<<"$pids")" -eq "$1" ]; then
      echo "$pids"
      return 0
    fi
    [ $SECONDS -lt $deadline ] || fail "expected $1 workers, saw: $(echo $pids)"
    sleep 0.02
  done
}

"$livepi" --gui --json --workers 2 --backend processes >"$work/livepi.out" 2>"$work/livepi.err" &
app_pid=$!
window=$(timeout 20 xdotool search --sync --name '^livepi' | head -1) || fail "no livepi window appeared"
# No window manager runs here: give the window the keyboard focus directly.
xdotool windowfocus --sync "$window" 2>/dev/null || true
wait_title "$window" '^livepi$'

# 1. The seed field: Tab goes to Workers, Backend, then Seed.
xdotool key Tab Tab Tab
clear_field() { xdotool key --delay 1 --repeat 40 BackSpace; }
for text in '[expr 6*7]' "[exec touch $work/ran]" '$tcl_version' '{unbalanced "quote [' '}'; do
  xdotool type --delay 2 "$text"
  xdotool key Return
  clear_field
done
xdotool type --delay 2 '7'
xdotool key Return

# 2. The run with seed 7 starts; keys are served in order, so every text
# above was refused before it.
wait_title "$window" ' points — running$'
first=$(current_title "$window")
[ ! -e "$work/ran" ] || fail "typed [exec ...] ran as Tcl"
first_workers=$(wait_workers 2)
wait_title "$window" ' points — running$'

# 3. Space stops; the workers go. Space resumes with fresh ones.
xdotool key space
wait_title "$window" ' points — stopped$'
stopped=$(current_title "$window")
for pid in $first_workers; do
  ! kill -0 "$pid" 2>/dev/null || [ "$(ps -o stat= -p "$pid")" = Z ] || fail "worker $pid outlived the stop"
done
stopped_points=$(sed -E 's/.* — ([^ ]+) points — stopped$/\1/' <<<"$stopped")
xdotool key space
wait_title "$window" ' points — running$'
second_workers=$(wait_workers 2)
[ -z "$(comm -12 <(echo "$first_workers") <(echo "$second_workers"))" ] ||
  fail "Resume reused a worker: $(echo $first_workers) then $(echo $second_workers)"
# A snapshot of the resumed run: more points than at the stop.
deadline=$((SECONDS + 20))
until [ "$(current_title "$window" | sed -E 's/.* — ([^ ]+) points — running$/\1/')" != "$stopped_points" ]; do
  [ $SECONDS -lt $deadline ] || fail "the resumed run never counted past $stopped_points points"
  sleep 0.02
done

# 4. The close button, with the workers busy.
[ "$(wait_workers 2 | grep -c .)" -eq 2 ] || fail "the workers were not running before the close"
close_and_expect_exit "$wm_delete" "$window" "$close_limit"
for pid in $second_workers; do
  ! kill -0 "$pid" 2>/dev/null || fail "worker $pid outlived the window"
done
grep -q '"seed":7,' "$work/livepi.out" || fail "the summary is not of the seed-7 run: $(cat "$work/livepi.out")"
grep -Eq '"points":[1-9]' "$work/livepi.out" || fail "the summary counted no points: $(cat "$work/livepi.out")"
echo "ok: typed Tcl stayed text; stop, resume with fresh workers; closed busy in ${elapsed_ms} ms, no worker left"
echo "first snapshot title: $first"
