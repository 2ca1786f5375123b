#!/usr/bin/env bash
# pipeline's benchmark: MB/s of pipeline against cat (the ceiling) and
# tr '[:lower:]' '[:upper:]' (the naive baseline), measured in the same run on
# generated files of ASCII and of mixed Unicode text. Not run by the tests.
#
#   bench/pipeline/run.sh [--size BYTES] [--reps N] [--scratch DIR]
#
# Defaults: 1000000000 bytes (1 GB) per file, best of 3, scratch files in a
# fresh folder under build/ (deleted at the end, also on failure or Ctrl-C).
# Builds pipeline (Release, build/pipe) and the text generator
# (build/pipe-bench-tools) when needed. Prints JSON lines on stdout: first one
# describing the run, then one per tool and input, then a summary with the
# ratios against cat; a readable line per measurement goes to stderr.
# docs/pipeline.md explains the figures.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

size=1000000000
reps=3
scratch_parent=$root/build
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    --scratch) scratch_parent=$2; shift 2 ;;
    *) echo "run.sh: unknown argument '$1' (expected --size BYTES, --reps N or --scratch DIR)" >&2; exit 2 ;;
  esac
done
case "$size$reps" in *[!0-9]*) echo "run.sh: --size and --reps take whole numbers" >&2; exit 2 ;; esac

build=$root/build/pipe
tools=$root/build/pipe-bench-tools
[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target pipeline >/dev/null
[ -f "$tools/CMakeCache.txt" ] || cmake -S "$root/bench/pipeline" -B "$tools" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tools" >/dev/null
pipeline=$build/apps/pipeline/pipeline
generator=$tools/bench_pipeline_text

mkdir -p "$scratch_parent"
scratch=$(mktemp -d "$scratch_parent/pipeline-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

export LC_ALL=C  # byte semantics for cat and tr; pipeline does not depend on the locale

echo "run.sh: generating 2 x $size bytes in $scratch" >&2
"$generator" ascii "$size" > "$scratch/ascii.txt"
"$generator" mixed "$size" > "$scratch/mixed.txt"
# Written back to disk now, not in the background while the tools are timed.
sync "$scratch/ascii.txt" "$scratch/mixed.txt"

commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
read -r load1 _ < /proc/loadavg
printf '{"scenario":"pipeline_run","date":"%s","commit":"%s","bytes":%s,"reps":%s,"nproc":%s,"load_average":%s,"kernel":"%s","cat":"%s","filesystem":"%s"}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "$size" "$reps" "$(nproc)" "$load1" "$(uname -r)" \
  "$(cat --version | head -1)" "$(df --output=fstype "$scratch" | tail -1)"

# One run of `tool` on `input`, writing $scratch/out (a file in the same
# folder, like pipeline's own output): prints the seconds it took.
run_once() {
  local tool=$1 input=$scratch/$2.txt out=$scratch/out
  local start end
  start=$(date +%s%N)
  case "$tool" in
    cat) cat "$input" > "$out" ;;
    tr) tr '[:lower:]' '[:upper:]' < "$input" > "$out" ;;
    pipeline) "$pipeline" --no-progress "$input" "$out" ;;
    pipeline-ascii) "$pipeline" --no-progress --ascii "$input" "$out" ;;
  esac
  end=$(date +%s%N)
  rm -f "$out"  # removed before its dirty pages reach the disk: no write-back in the next run
  awk -v ns=$((end - start)) 'BEGIN { printf "%.4f", ns / 1e9 }'
}

tool_names=(cat tr pipeline pipeline-ascii)
inputs=(ascii mixed)
declare -A best runs
# Warm the page cache, then interleave the tools in each repetition so that a
# noisy moment hurts them alike. The order turns by one each repetition: a
# run right after tr was seen to be slower (by 0.3 to 0.5 s per GB, whatever
# the tool), and with the turn each tool has runs that do not follow tr.
cat "$scratch/ascii.txt" "$scratch/mixed.txt" > /dev/null
for ((rep = 1; rep <= reps; rep++)); do
  order=()
  for ((i = 0; i < ${#tool_names[@]}; i++)); do
    order+=("${tool_names[(i + rep - 1) % ${#tool_names[@]}]}")
  done
  for input in "${inputs[@]}"; do
    for tool in "${order[@]}"; do
      seconds=$(run_once "$tool" "$input")
      key=$tool/$input
      runs[$key]="${runs[$key]:+${runs[$key]},}$seconds"
      if [ -z "${best[$key]:-}" ] || awk -v a="$seconds" -v b="${best[$key]}" 'BEGIN { exit !(a < b) }'; then
        best[$key]=$seconds
      fi
      echo "run.sh: rep $rep  $input  $tool  $seconds s" >&2
    done
  done
done

mbps() { awk -v s="$1" -v b="$size" 'BEGIN { printf "%.1f", b / 1e6 / s }'; }
ratio() { awk -v tool="$1" -v cat="$2" 'BEGIN { printf "%.3f", cat / tool }'; }
for input in "${inputs[@]}"; do
  for tool in "${tool_names[@]}"; do
    key=$tool/$input
    printf '{"scenario":"pipeline","tool":"%s","input":"%s","best_seconds":%s,"mb_per_s":%s,"vs_cat":%s,"runs_seconds":[%s]}\n' \
      "$tool" "$input" "${best[$key]}" "$(mbps "${best[$key]}")" "$(ratio "${best[$key]}" "${best[cat/$input]}")" \
      "${runs[$key]}"
  done
done

# The output is right: on ASCII input, pipeline and tr must agree byte for byte.
"$pipeline" --no-progress "$scratch/ascii.txt" "$scratch/out.pipeline"
tr '[:lower:]' '[:upper:]' < "$scratch/ascii.txt" > "$scratch/out.tr"
same=false
cmp -s "$scratch/out.pipeline" "$scratch/out.tr" && same=true
rm -f "$scratch/out.pipeline" "$scratch/out.tr"

ascii_ratio=$(ratio "${best[pipeline/ascii]}" "${best[cat/ascii]}")
met=$(awk -v r="$ascii_ratio" 'BEGIN { print (r >= 0.5) ? "true" : "false" }')
read -r load1 _ < /proc/loadavg
printf '{"scenario":"pipeline_summary","ascii_vs_cat":%s,"target":0.5,"target_met":%s,"mixed_vs_cat":%s,"ascii_output_equals_tr":%s,"load_average_after":%s}\n' \
  "$ascii_ratio" "$met" "$(ratio "${best[pipeline/mixed]}" "${best[cat/mixed]}")" "$same" "$load1"
