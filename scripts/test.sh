#!/bin/bash
# test.sh [MESON TEST ARGS...]: installs what is missing, builds build/ (the same release
# build as build.sh), runs every test suite with `meson test` (unit, sim, and the suites on real
# binaries: mount, and e2e with its rings of peerstore-node processes), then cleans up the
# peerstorefs mounts and the processes the run left behind (scripts/test_cleanup.sh). Meanwhile it
# builds build-fuzz/ with clang (-Dfuzz=true) at the lowest priority, and then runs the fuzz
# suite (each libFuzzer target over its seed corpus plus a few seconds of new inputs,
# docs/fuzzing.md), and prints
# "N passed, N failed[, N skipped]" over both.
# Exits non-zero if either failed. Extra arguments go to the first meson test (e.g. --suite
# unit), and then the fuzz suite is skipped unless PEERSTORE_FUZZ=1; PEERSTORE_FUZZ=0 always
# skips it.
#
# Cleanup is limited to this run's own directory (PEERSTORE_TEST_TMPDIR), so a PeerStore you
# mounted yourself, e.g. with quickstart.sh, and other test runs survive.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

PEERSTORE_TEST_DEPS=1 bash scripts/build.sh || { echo "build failed; no tests were run" >&2; exit 1; }

# Every mount and data directory of this run lives under its own directory, so the cleanup
# below touches only what this run started, never a PeerStore of yours or another run's.
PEERSTORE_TEST_TMPDIR=$(mktemp -d /tmp/peerstore-test.XXXXXX)
chmod 755 "$PEERSTORE_TEST_TMPDIR"  # tests run some steps as an unprivileged user
export PEERSTORE_TEST_TMPDIR

# shellcheck source=scripts/test_cleanup.sh
. scripts/test_cleanup.sh
cleanup() { test_cleanup "$PEERSTORE_TEST_TMPDIR" test.sh; }
trap cleanup EXIT
fuzz_pid=
stop_fuzz_build() { [ -z "$fuzz_pid" ] || kill -- -"$fuzz_pid" 2>/dev/null; }
trap 'stop_fuzz_build; exit 130' INT
trap 'stop_fuzz_build; exit 143' TERM

# The fuzz suite, in its own clang build (g++ has no libFuzzer). A failed fuzz build counts as
# one failed test.
run_fuzz=${PEERSTORE_FUZZ:-}
[ -n "$run_fuzz" ] || { [ $# -eq 0 ] && run_fuzz=1 || run_fuzz=0; }
FUZZ_LOG=build-fuzz/meson-logs/testlog.json
rm -f "$FUZZ_LOG"
fuzz_build_failed=0
fuzz_start=$SECONDS
# A directory that cannot be reconfigured (another meson version) is started over.
fuzz_setup() {
  if [ -f build-fuzz/meson-private/coredata.dat ] &&
    meson setup --reconfigure build-fuzz -Dfuzz=true >/dev/null 2>&1; then
    return 0
  fi
  rm -rf build-fuzz
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzz=true --buildtype=release >/dev/null
}
if [ "$run_fuzz" = 1 ]; then
  # The fuzz build runs at the lowest priority while the suites below run: they spend most of
  # their time waiting on their processes, and the compile takes only the cycles they leave.
  if PEERSTORE_FUZZ_DEPS=1 PEERSTORE_NO_FUSE=1 bash scripts/install-deps.sh; then
    # In a process group of its own, which an interrupt stops whole.
    setsid bash -c "$(declare -f fuzz_setup); fuzz_setup &&
      nice -n 19 meson compile -C build-fuzz -j $(nproc)" >build/fuzz-build.log 2>&1 &
    fuzz_pid=$!
  else
    fuzz_build_failed=1
  fi
fi

LOG=build/meson-logs/testlog.json
rm -f "$LOG"
meson test -C build --print-errorlogs --num-processes 2 "$@"
rc=$?
cleanup
trap - EXIT

if [ "$run_fuzz" = 1 ]; then
  if [ -n "$fuzz_pid" ] && wait "$fuzz_pid"; then
    meson test -C build-fuzz --suite fuzz --print-errorlogs --num-processes 2
    fuzz_rc=$?
    # Each target's runs, executions per second and coverage (run_fuzz.sh's last line).
    [ -s "$FUZZ_LOG" ] && jq -r '.stdout' "$FUZZ_LOG" | grep -E '^fuzz_[a-z0-9_]+: ' || true
  else
    [ -s build/fuzz-build.log ] && tail -30 build/fuzz-build.log >&2
    echo "test.sh: the fuzz build failed; no fuzz target was run" >&2
    fuzz_rc=1
    fuzz_build_failed=1
  fi
  echo "test.sh: fuzz build and suite took $((SECONDS - fuzz_start)) s (the build beside the suites)"
  [ "$rc" -ne 0 ] || rc=$fuzz_rc
fi

logs=()
for l in "$LOG" "$FUZZ_LOG"; do [ -s "$l" ] && logs+=("$l"); done
if [ "$rc" -ne 0 ] && [ ${#logs[@]} -gt 0 ]; then
  echo "test.sh: the failed checks, from the full logs:"
  bash scripts/test_failures.sh "${logs[@]}"
fi
if [ ${#logs[@]} -gt 0 ]; then
  jq -rs --argjson extra "$fuzz_build_failed" '
    def n(f): map(select(.result | f)) | length;
    (n(. == "OK" or . == "EXPECTEDFAIL")) as $p
    | (n(. == "FAIL" or . == "TIMEOUT" or . == "ERROR" or . == "UNEXPECTEDPASS" or . == "INTERRUPT") + $extra) as $f
    | (n(. == "SKIP")) as $s
    | "\($p) passed, \($f) failed" + (if $s > 0 then ", \($s) skipped" else "" end)' "${logs[@]}"
else
  echo "0 passed, $fuzz_build_failed failed (meson wrote no test log)"
fi
exit "$rc"
