#!/bin/bash
# run_fuzz.sh TARGET CORPUS SECONDS ARTIFACTS: one fuzz test of `meson test --suite fuzz`. Runs a
# libFuzzer target over the committed seed corpus plus SECONDS of new inputs. New inputs go to a
# temporary directory (listed first, so libFuzzer writes there), never into CORPUS. A crash,
# leak, timeout or out-of-memory fails the test and prints the reproducer kept in ARTIFACTS.
# Prints one summary line: runs, executions per second, coverage.
set -uo pipefail
target=$1 corpus=$2 seconds=$3 artifacts=$4
name=$(basename "$target")

[ -d "$corpus" ] || { echo "$name: no seed corpus at $corpus" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$artifacts"
log=$work/log

# -timeout: one input taking this long is a hang; -rss_limit_mb: ASan stays well under it.
# -max_len: inputs may grow past the records at their size limits (a 4 KiB inline file, a full
# trie leaf), libFuzzer's default being the largest seed; they grow gradually, small ones first.
"$target" "$work" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" \
  >"$log" 2>&1
rc=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
if [ "$rc" -ne 0 ]; then
  tail -n 60 "$log"
  repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  echo "$name: FAILED (exit $rc) after ${runs:-?} runs"
  if [ -n "$repro" ]; then
    echo "$name: reproducer: $repro"
    echo "$name: replay with: $target $repro"
  fi
  exit 1
fi
echo "$name: ok, ${runs:-?} runs in ${seconds} s, ${eps:-?} exec/s, ${cov:-cov: ?}," \
  "corpus $(ls "$corpus" | wc -l) seeds + $(ls "$work" | grep -vc '^log$') new inputs"
