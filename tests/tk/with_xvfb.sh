#!/usr/bin/env bash
# Runs a command on a private virtual X display:
#   with_xvfb.sh PROGRAM [ARGS...]
# Starts Xvfb on a display number the server picks itself (-displayfd, so
# parallel tests never collide), waits until it accepts connections (xdpyinfo,
# 20 s deadline), runs the command with DISPLAY set, and stops Xvfb afterwards,
# also when the command fails or the script is interrupted. Exits with the
# command's status; 125 when no display could be had.
set -euo pipefail

if ! command -v Xvfb >/dev/null || ! command -v xdpyinfo >/dev/null; then
  echo "with_xvfb: Xvfb or xdpyinfo missing (scripts/install-deps installs xvfb and x11-utils)" >&2
  exit 125
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/handoff-xvfb.XXXXXX")
xvfb_pid=
cleanup() {
  if [ -n "$xvfb_pid" ]; then
    kill "$xvfb_pid" 2>/dev/null || true
    wait "$xvfb_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Xvfb writes the display number it chose to fd 3 once it listens.
: >"$work/display"
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb_pid=$!

deadline=$((SECONDS + 20))
display=
until [ -n "$display" ] && xdpyinfo -display ":$display" >/dev/null 2>&1; do
  if ! kill -0 "$xvfb_pid" 2>/dev/null; then
    echo "with_xvfb: Xvfb exited early:" >&2
    cat "$work/xvfb.log" >&2
    exit 125
  fi
  if [ $SECONDS -ge $deadline ]; then
    echo "with_xvfb: Xvfb did not accept connections within 20 s" >&2
    exit 125
  fi
  display=$(tr -dc '0-9' <"$work/display")
  sleep 0.05
done

export DISPLAY=":$display"
status=0
"$@" || status=$?
exit $status
