#!/usr/bin/env bash
# Builds the frame decoder's libFuzzer target with clang and runs it for a while.
#   run_fuzz.sh CLANGXX SOURCE_ROOT WORK_DIR [SECONDS]
# The corpus stays in WORK_DIR/corpus, so later runs start where earlier ones
# ended; a crash leaves its input in WORK_DIR (crash-*) and fails the test.
set -euo pipefail
cxx=$1
root=$2
work=$3
seconds=${4:-20}
mkdir -p "$work/corpus"
flags=(-std=c++20 -g -O1 -I"$root/procs/include" -I"$root/core/include")
sources=("$root/procs/src/frame.cpp" "$root/procs/src/crc32.cpp")
"$cxx" "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  "$root/procs/fuzz/frame_decoder_fuzz.cpp" "${sources[@]}" -o "$work/frame_decoder_fuzz"
"$cxx" "${flags[@]}" "$root/procs/fuzz/make_seeds.cpp" "${sources[@]}" -o "$work/make_seeds"
"$work/make_seeds" "$work/corpus"
cd "$work"
exec "$work/frame_decoder_fuzz" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$work/corpus"
