#!/bin/bash
# flake_loop.sh [-n RUNS] [SUITE|TEST...]: looks for flaky tests (issue 11). Runs the given
# meson suites or tests (default: the mount and e2e suites) RUNS times in a row (default 20) on
# an existing build (BUILD_DIR, default build; it builds nothing: `meson test --no-rebuild`),
# one test at a time, while two busy loops load the cores, with CI=true (a missing /dev/fuse
# fails instead of skipping). Each run gets its own PEERSTORE_TEST_TMPDIR under /tmp, cleaned
# afterwards like scripts/test.sh does (scripts/test_cleanup.sh).
#
# How long: RUNS times one run of the chosen tests. Meson's ceilings for the mount and e2e suites
# are 15 and 10 minutes; on the loaded 2-core machine the default 20 runs take several hours.
#
# Prints one line a run, `flake_loop: run I/N: pass|FAIL (TESTS) S s`, and for each failing test
# case the seeds its output printed; copies every failing run's logs to RESULTS_DIR (default a
# new /tmp/flake_loop.XXXXXX, printed at the start); ends with
#   flake_loop: N runs, K failed runs; failing tests: TEST [CASE] (COUNT); ...; seeds: S1, S2, ...
# where COUNT is in how many runs the doctest CASE of the meson TEST failed (just TEST where the
# output names no failing case: a timeout, a crash)
# Exits 1 if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/loop_lib.sh
. bench/loop_lib.sh
parse_runs 20 "$@"
set -- "${ARGS[@]}"

BUILD_DIR=${BUILD_DIR:-build}
[ -f "$BUILD_DIR/meson-private/coredata.dat" ] ||
  { echo "flake_loop: $BUILD_DIR is not a meson build directory (set BUILD_DIR)" >&2; exit 2; }
export CI=${CI:-true}

# A name that is a suite of the build is run as --suite NAME, any other as a test name.
suites=$(meson introspect "$BUILD_DIR" --tests | jq -r '.[].suite[]' | sed 's/^[^:]*://' | sort -u)
selection=()
for a in "$@"; do
  if grep -qxF -- "$a" <<<"$suites"; then selection+=(--suite "$a"); else selection+=("$a"); fi
done
[ $# -gt 0 ] || selection=(--suite mount --suite e2e)

start_loop flake_loop

# The failing doctest cases of a test's output, one a line: "CASE<TAB>SEEDS". SEEDS are the
# case's PEERSTORE_..._SEED=N replay settings (e2e and fsx print them), else every number its
# output calls a seed (sim prints "seed N"). A log without a failing case (a timeout, a crash
# before doctest reported) gives "?<TAB>" and the seeds of the whole log.
failing_cases() {
  awk '
    function collect(text, re,   out, s) {
      out = ""
      while (match(text, re)) {
        s = substr(text, RSTART, RLENGTH)
        text = substr(text, RSTART + RLENGTH)
        if (re == any_seed) { sub(/^[^0-9]*/, "", s); s = "seed " s }
        if (index("|" out "|", "|" s "|") == 0) out = out (out == "" ? "" : "|") s
      }
      return out
    }
    function seeds_of(text,   out) {
      out = collect(text, replay)
      if (out == "") out = collect(text, any_seed)
      gsub(/\|/, ", ", out)
      return out
    }
    function flush() {
      if (failed && name != "") { print name "\t" seeds_of(block); found = 1 }
      block = ""; name = ""; failed = 0
    }
    BEGIN {
      replay = "PEERSTORE_[A-Z0-9_]*SEED=[0-9]+"
      any_seed = "[Ss][Ee][Ee][Dd][ :=]+[0-9]+"
    }
    /^==========+$/ { flush(); next }
    /^TEST CASE: / { name = $0; sub(/^TEST CASE: +/, "", name) }
    / ERROR: |^TEST CASE FAILED|CRASHED/ { failed = 1 }
    { block = block "\n" $0; all = all "\n" $0 }
    END { flush(); if (!found) print "?\t" seeds_of(all) }
  ' "$1"
}

failed_runs=0
all_failing=()
all_seeds=()
echo "flake_loop: $RUNS runs of meson test ${selection[*]} in $BUILD_DIR under two busy loops;" \
  "logs of failing runs in $RESULTS_DIR"
for ((i = 1; i <= RUNS; i++)); do
  new_run_dir
  log="$BUILD_DIR/meson-logs/testlog.json"
  rm -f "$log"
  started=$SECONDS
  rc=0
  run_child env PEERSTORE_TEST_TMPDIR="$RUN_DIR" meson test -C "$BUILD_DIR" --no-rebuild \
    --num-processes 1 --print-errorlogs "${selection[@]}" >"$RESULTS_DIR/current.out" 2>&1 ||
    rc=$?
  took=$((SECONDS - started))
  end_run_dir
  failing=()
  if [ -s "$log" ]; then
    # Names read "project:suite / test" in the log; the test's name is enough.
    mapfile -t failing < <(jq -r 'select(.result != "OK" and .result != "SKIP"
      and .result != "EXPECTEDFAIL") | .name | sub("^.* / "; "")' "$log")
  fi
  [ "$rc" -eq 0 ] || [ ${#failing[@]} -gt 0 ] || failing=("meson-test-exit-$rc")
  if [ ${#failing[@]} -eq 0 ]; then
    echo "flake_loop: run $i/$RUNS: pass ${took} s"
    continue
  fi
  failed_runs=$((failed_runs + 1))
  echo "flake_loop: run $i/$RUNS: FAIL (${failing[*]}) ${took} s"
  out="$RESULTS_DIR/run-$i"
  mkdir -p "$out"
  mv "$RESULTS_DIR/current.out" "$out/meson-test.out"
  cp "$BUILD_DIR/meson-logs/testlog.txt" "$log" "$out/" 2>/dev/null || true
  for t in "${failing[@]}"; do
    f="$out/${t//[^A-Za-z0-9_.-]/_}.log"
    if [ -s "$log" ]; then
      jq -r --arg t "$t" 'select(.name | sub("^.* / "; "") == $t)
        | (.stdout // "") + (.stderr // "")' "$log" >"$f"
    else
      cp "$out/meson-test.out" "$f"
    fi
    while IFS=$'\t' read -r tcase seeds; do
      echo "flake_loop:   $t: ${tcase}: ${seeds:-no seed printed}"
      if [ "$tcase" = "?" ]; then all_failing+=("$t"); else all_failing+=("$t [$tcase]"); fi
      [ -z "$seeds" ] || all_seeds+=("$seeds")
    done < <(failing_cases "$f")
  done
done
rm -f "$RESULTS_DIR/current.out"
rmdir "$RESULTS_DIR" 2>/dev/null || true  # nothing failed: nothing to keep

tests_summary=none
if [ ${#all_failing[@]} -gt 0 ]; then
  tests_summary=$(printf '%s\n' "${all_failing[@]}" | sort | uniq -c |
    sed -E 's/^ *([0-9]+) (.*)/\2 (\1)/' | paste -sd';' | sed 's/;/; /g')
fi
seeds_summary=none
if [ ${#all_seeds[@]} -gt 0 ]; then
  seeds_summary=$(printf '%s\n' "${all_seeds[@]}" | sed 's/, /\n/g' | awk '!seen[$0]++' |
    paste -sd, | sed 's/,/, /g')
fi
echo "flake_loop: $RUNS runs, $failed_runs failed runs; failing tests: $tests_summary;" \
  "seeds: $seeds_summary"
[ "$failed_runs" -eq 0 ]
