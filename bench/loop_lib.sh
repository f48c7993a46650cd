# shellcheck shell=bash
# loop_lib.sh: what bench/flake_loop.sh and bench/loss_harness.sh share, sourced (not run) from
# the repository root: their -n option, the load issue 11 asks for (two busy loops on the two
# cores), a results directory, and one PEERSTORE_TEST_TMPDIR a run, cleaned up after it like
# scripts/test.sh cleans up after its run (scripts/test_cleanup.sh).
#   parse_runs DEFAULT "$@"   sets RUNS (-n RUNS, else DEFAULT) and ARGS (what follows)
#   start_loop NAME           sets LOOP_NAME and RESULTS_DIR (default a new /tmp/NAME.XXXXXX),
#                             starts the busy loops; an EXIT trap stops them and cleans up
#   new_run_dir / end_run_dir creates RUN_DIR for one run / cleans it up and removes it
#   run_child CMD...          runs CMD and returns its status; a signal to the script stops CMD
#                             at once, rather than once it is done (up to a whole test run)

# shellcheck source=scripts/test_cleanup.sh
. scripts/test_cleanup.sh

# shellcheck disable=SC2034  # RUNS and ARGS are for the caller
parse_runs() {
  local default=$1 opt OPTIND=1
  shift
  RUNS=$default
  while getopts n:h opt; do
    case $opt in
      n) RUNS=$OPTARG ;;
      *) loop_usage ;;
    esac
  done
  shift $((OPTIND - 1))
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || loop_usage
  ARGS=("$@")  # for the caller
}

# The usage line is the second line of the calling script.
loop_usage() { sed -n '2s/^# \([^:]*\):.*/usage: \1/p' "$0" >&2; exit 2; }

BUSY_PIDS=()
RUN_DIR=
CHILD_PID=

start_loop() {
  local _
  LOOP_NAME=$1
  RESULTS_DIR=${RESULTS_DIR:-$(mktemp -d "/tmp/$LOOP_NAME.XXXXXX")}
  mkdir -p "$RESULTS_DIR"
  trap stop_loop EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  for _ in 1 2; do
    ( while :; do :; done ) &
    BUSY_PIDS+=($!)
  done
}

stop_loop() {
  local p
  for p in "${BUSY_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  BUSY_PIDS=()
  if [ -n "$CHILD_PID" ]; then
    kill -TERM "$CHILD_PID" 2>/dev/null || true
    wait "$CHILD_PID" 2>/dev/null || true
    CHILD_PID=
  fi
  end_run_dir
}

# In the background, because bash runs a trap only once the foreground command is done, and
# `wait` returns at once on a signal.
run_child() {
  local rc=0
  "$@" &
  CHILD_PID=$!
  wait "$CHILD_PID" || rc=$?
  CHILD_PID=
  return "$rc"
}

new_run_dir() {
  RUN_DIR=$(mktemp -d /tmp/peerstore-test.XXXXXX)
  chmod 755 "$RUN_DIR"  # tests run some steps as an unprivileged user
}

end_run_dir() {
  [ -z "$RUN_DIR" ] || test_cleanup "$RUN_DIR" "$LOOP_NAME"
  RUN_DIR=
}
