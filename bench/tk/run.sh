#!/usr/bin/env bash
# Builds bench_tk (Release, build/tk-bench) and runs it on a private Xvfb display.
#   bench/tk/run.sh           the full run (about two minutes on 2 cores)
#   bench/tk/run.sh --quick   a short smoke run
# Extra arguments go to bench_tk (see its header). Figures (JSON lines) go to
# build/tk-bench/results.jsonl; the readable summary to the terminal.
set -euo pipefail
cd "$(dirname "$0")/../.."

cmake -S . -B build/tk-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DHANDOFF_BUILD_BENCH=ON \
  -DHANDOFF_BUILD_TESTS=OFF -DHANDOFF_BUILD_EXAMPLES=OFF -DHANDOFF_BUILD_APPS=OFF >/dev/null
cmake --build build/tk-bench --target bench_tk

results=build/tk-bench/results.jsonl
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
read -r load1 _ < /proc/loadavg
printf '{"scenario":"run","date":"%s","commit":"%s","nproc":%s,"load_average":%s}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "$(nproc)" "$load1" > "$results"
echo "== bench_tk ($(nproc) cores, load average $load1; figures in $results) =="
# The JSON lines (stdout) go to the results; the summary (stderr) to our stdout.
# Twice: on Tcl's own notifier (handoff against raw Tcl), then on handoff's
# direct notifier, which a process must choose before Tcl starts.
tests/tk/with_xvfb.sh build/tk-bench/bench/tk/bench_tk "$@" 2>&1 >> "$results"
echo
tests/tk/with_xvfb.sh build/tk-bench/bench/tk/bench_tk --direct-notifier "$@" 2>&1 >> "$results"
echo "== done; load average now $(cut -d' ' -f1 /proc/loadavg) =="
