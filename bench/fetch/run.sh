#!/usr/bin/env bash
# fetch's benchmark: MB/s of fetch against the curl command (the same libcurl,
# one process per file set: the baseline) downloading from the tests' HTTP
# server on 127.0.0.1, in the same run. Two cases: one large file, and
# several files at once (fetch --jobs N against curl --parallel). Not run by
# the tests.
#
#   bench/fetch/run.sh [--size BYTES] [--files N] [--reps N]
#
# Defaults: 500000000 bytes (500 MB), 4 files of a quarter of that for the
# parallel case, best of 3, into a fresh folder under build/ (deleted at the
# end). Builds fetch and serve_for_tests (Release, build/release). Prints JSON
# lines on stdout (the run, one per measurement, the ratios); a readable line
# per measurement on stderr. The server makes its bytes as it sends them, so
# both tools share its ceiling: the ratio says what fetch costs over curl.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

size=500000000
files=4
reps=3
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) echo "run.sh: unknown argument '$1' (expected --size BYTES, --files N or --reps N)" >&2; exit 2 ;;
  esac
done
case "$size$files$reps" in *[!0-9]*) echo "run.sh: --size, --files and --reps take whole numbers" >&2; exit 2 ;; esac
command -v curl >/dev/null || { echo "run.sh: the curl command is needed (apt-get install curl)" >&2; exit 2; }

build=$root/build/release
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target fetch serve_for_tests >/dev/null
fetch=$build/apps/fetch/fetch

scratch=$(mktemp -d "$root/build/fetch-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
coproc server { exec "$build/tests/apps/fetch/serve_for_tests"; }
read -r _ port <&"${server[0]}"
base="http://127.0.0.1:$port"

now_ns() { date +%s%N; }
# Best wall time in seconds of `reps` runs of "$@", each into an empty folder.
best_seconds() {
  local best=
  for _ in $(seq "$reps"); do
    rm -rf "$scratch/out" && mkdir "$scratch/out"
    local start end
    start=$(now_ns)
    (cd "$scratch/out" && "$@" >/dev/null 2>&1) || { echo "run.sh: failed: $*" >&2; exit 1; }
    end=$(now_ns)
    local s=$(((end - start) / 1000))
    [ -z "$best" ] || [ "$s" -lt "$best" ] && best=$s
  done
  awk -v us="$best" 'BEGIN { printf "%.3f", us / 1e6 }'
}
report() {  # case tool bytes seconds
  local mbs
  mbs=$(awk -v b="$3" -v s="$4" 'BEGIN { printf "%.1f", b / s / 1e6 }')
  printf '{"scenario":"fetch","case":"%s","tool":"%s","bytes":%s,"seconds":%s,"mb_per_s":%s}\n' "$1" "$2" "$3" "$4" "$mbs"
  printf '%-10s %-6s %6.2f s  %8s MB/s\n' "$1" "$2" "$4" "$mbs" >&2
}

read -r load1 _ </proc/loadavg
printf '{"scenario":"run","date":"%s","commit":"%s","nproc":%s,"load_average":%s,"size":%s,"files":%s,"reps":%s}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(git -C "$root" rev-parse --short HEAD)" "$(nproc)" "$load1" "$size" "$files" "$reps"

one_url="$base/file/$size/one.bin"
curl_one=$(best_seconds curl -sS -f -o one.bin "$one_url")
fetch_one=$(best_seconds "$fetch" --no-progress "$one_url")
report one_file curl "$size" "$curl_one"
report one_file fetch "$size" "$fetch_one"

part=$((size / files))
urls=()
curl_args=()
for i in $(seq "$files"); do
  urls+=("$base/file/$part/part$i.bin")
  curl_args+=(-o "part$i.bin" "$base/file/$part/part$i.bin")
done
curl_many=$(best_seconds curl -sS -f --parallel --parallel-max "$files" "${curl_args[@]}")
fetch_many=$(best_seconds "$fetch" --no-progress --jobs "$files" "${urls[@]}")
report "${files}_files" curl "$((part * files))" "$curl_many"
report "${files}_files" fetch "$((part * files))" "$fetch_many"

ratio_one=$(awk -v c="$curl_one" -v f="$fetch_one" 'BEGIN { printf "%.2f", c / f }')
ratio_many=$(awk -v c="$curl_many" -v f="$fetch_many" 'BEGIN { printf "%.2f", c / f }')
printf '{"scenario":"fetch_summary","fetch_over_curl_one_file":%s,"fetch_over_curl_%s_files":%s}\n' "$ratio_one" "$files" "$ratio_many"
echo "fetch speed / curl speed: one file ${ratio_one}x, $files files ${ratio_many}x" >&2
