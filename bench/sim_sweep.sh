#!/bin/bash
# sim_sweep.sh [-n SEEDS] [-s FIRST] [SCENARIO...]: pass rates of the sim suite's ring scenarios
# over many seeds (issue 13). Runs each SCENARIO (loss, churn, partition; default all three) of
# tests/sim SEEDS times (default 100), seeds FIRST, FIRST+1, ... (default 1001, so two sweeps of
# one build run the same seeds), one run at a time, each with PEERSTORE_SIM_SEED set. It builds
# nothing: it runs BUILD_DIR/tests/sim/sim_tests (BUILD_DIR default build) as it is.
#   loss       sim: 10% message loss (200 nodes, 1000 lookups that must all be right)
#   churn      sim: 20% of nodes crash one at a time (400 nodes, repair after each crash)
#   partition  sim: both partition cases (a split into two halves and its heal, and a partition
#              outlasting the dropped-node memory)
#
# How long: one run takes about 4 s (loss), 6 s (churn) and 1-2 s (partition) on one idle core
# of the 2-core machine, so the default 100 seeds of all three take about 20 minutes.
#
# Prints one line per failing run, `sim_sweep: SCENARIO seed S: FAIL (first error line)`, and
# per scenario
#   sim_sweep: SCENARIO: P/N seeds passed; failing seeds: S1 S2 ... (or none)
# Logs of failing runs go to RESULTS_DIR (default a new /tmp/sim_sweep.XXXXXX, printed at the
# start; removed if nothing failed). Replay one with
#   PEERSTORE_SIM_SEED=S build/tests/sim/sim_tests -tc='PATTERN'
# Exits 1 if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2s/^# \([^:]*\):.*/usage: \1/p' "$0" >&2; exit 2; }

SEEDS=100
FIRST=1001
while getopts n:s:h opt; do
  case $opt in
    n) SEEDS=$OPTARG ;;
    s) FIRST=$OPTARG ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $SEEDS =~ ^[1-9][0-9]*$ && $FIRST =~ ^[0-9]+$ ]] || usage
[ $# -gt 0 ] || set -- loss churn partition

# The doctest case filter of each scenario.
pattern() {
  case $1 in
    loss) echo 'sim: 10% message loss*' ;;
    churn) echo 'sim: 20% of nodes crash*' ;;
    partition) echo 'sim: a partition*' ;;
    *) echo "sim_sweep: unknown scenario $1 (loss, churn, partition)" >&2; exit 2 ;;
  esac
}
for s in "$@"; do pattern "$s" >/dev/null; done

BUILD_DIR=${BUILD_DIR:-build}
BIN=$BUILD_DIR/tests/sim/sim_tests
[ -x "$BIN" ] || { echo "sim_sweep: no $BIN (build it first, or set BUILD_DIR)" >&2; exit 2; }

RESULTS_DIR=${RESULTS_DIR:-$(mktemp -d /tmp/sim_sweep.XXXXXX)}
mkdir -p "$RESULTS_DIR"
echo "sim_sweep: $SEEDS seeds from $FIRST of: $*; $BIN; logs of failing runs in $RESULTS_DIR"

any_failed=0
summary=()
for scenario in "$@"; do
  pat=$(pattern "$scenario")
  passed=0
  failing=()
  started=$SECONDS
  for ((seed = FIRST; seed < FIRST + SEEDS; seed++)); do
    log="$RESULTS_DIR/$scenario-$seed.log"
    if PEERSTORE_SIM_SEED=$seed "$BIN" -tc="$pat" >"$log" 2>&1; then
      passed=$((passed + 1))
      rm -f "$log"
      continue
    fi
    failing+=("$seed")
    first=$(grep -m1 -E 'ERROR|CRASHED' "$log" || echo "no error line: a crash or a timeout?")
    echo "sim_sweep: $scenario seed $seed: FAIL ($first)"
  done
  [ ${#failing[@]} -eq 0 ] || any_failed=1
  line="sim_sweep: $scenario: $passed/$SEEDS seeds passed; failing seeds: ${failing[*]:-none}"
  echo "$line ($((SECONDS - started)) s)"
  summary+=("$line")
done
rmdir "$RESULTS_DIR" 2>/dev/null || true  # nothing failed: nothing to keep
printf '%s\n' "${summary[@]}"
exit "$any_failed"
