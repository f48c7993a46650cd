#!/bin/bash
# fuzz_long.sh TARGET SECONDS [JOBS]: a long run of one libFuzzer target (tests/fuzz/), e.g.
# `bash bench/fuzz_long.sh message 3600`. Builds build-fuzz/ with clang if needed
# (BUILD_DIR=... for another -Dfuzz=true build), fuzzes over a copy of the committed seed corpus
# in bench/out/fuzz/TARGET/corpus (kept between runs, so later runs start from what earlier ones
# found; the committed corpus is never written), and prints the run's executions per second,
# coverage and new inputs. JOBS > 1 runs that many fuzzing processes sharing the corpus.
# A crash leaves its reproducer in bench/out/fuzz/TARGET/ and exits 1.
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 TARGET SECONDS [JOBS]" >&2; exit 2; }
target=$1 seconds=$2 jobs=${3:-1}
build=${BUILD_DIR:-build-fuzz}
[ -d "tests/fuzz/corpus/$target" ] || { echo "no fuzz target '$target' (tests/fuzz/corpus/)" >&2; exit 2; }

if [ ! -f "$build/meson-private/coredata.dat" ]; then
  PEERSTORE_FUZZ_DEPS=1 PEERSTORE_NO_FUSE=1 bash scripts/install-deps.sh || exit 1
  CC=clang CXX=clang++ meson setup "$build" -Dfuzz=true --buildtype=release || exit 1
fi
meson compile -C "$build" "tests/fuzz/fuzz_$target" >/dev/null || exit 1

out=bench/out/fuzz/$target
mkdir -p "$out/corpus"
cp -n "tests/fuzz/corpus/$target"/* "$out/corpus/"
before=$(ls "$out/corpus" | wc -l)
log=$out/run-$(date +%Y%m%d-%H%M%S).log
extra=()
[ "$jobs" -gt 1 ] && extra=(-jobs="$jobs" -workers="$jobs")
"$build/tests/fuzz/fuzz_$target" "$out/corpus" -max_total_time="$seconds" -timeout=10 \
  -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/" "${extra[@]}" \
  >"$log" 2>&1
rc=$?
[ "$jobs" -gt 1 ] && cat fuzz-*.log >>"$log" 2>/dev/null && rm -f fuzz-*.log

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | awk '{s += $1} END {print s}')
eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | awk '{s += $1} END {print s}')
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
echo "fuzz_$target: ${seconds} s, ${runs:-?} runs, ${eps:-?} exec/s, ${cov:-cov: ?}," \
  "corpus $before -> $(ls "$out/corpus" | wc -l) inputs; log $log"
if [ "$rc" -ne 0 ]; then
  grep -E 'ERROR|invariant|SUMMARY|Test unit written' "$log" | head -20
  echo "fuzz_$target: FAILED; reproducer(s): $(ls "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-* 2>/dev/null | tr '\n' ' ')"
  exit 1
fi
