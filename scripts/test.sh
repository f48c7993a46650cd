#!/bin/bash
# test.sh [MESON TEST ARGS...]: installs what is missing, builds build/ (the same release
# build as build.sh), runs every test suite with `meson test`, then cleans up peerstorefs
# mounts and processes the run left behind, and prints "N passed, N failed[, N skipped]".
# Exits with meson's exit code. Extra arguments go to meson test (e.g. --suite unit).
#
# Cleanup is limited to what appeared during this run (mounts and peerstorefs processes
# that were not there before it), so a PeerStore you mounted yourself, e.g. with
# quickstart.sh, survives. PEERSTORE_TEST_CLEANUP=all removes every peerstorefs mount and
# process instead.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

bash scripts/build.sh || { echo "build failed; no tests were run" >&2; exit 1; }

# Mount points of peerstorefs mounts, one a line, in /proc/mounts' escaped form.
ps_mounts() { awk '$3 == "fuse.peerstorefs" || $1 == "peerstorefs" { print $2 }' /proc/mounts | sort -u; }
# Live (not zombie) peerstorefs processes, one pid a line.
ps_pids() { ps -C peerstorefs -o pid=,stat= | awk '$2 !~ /^Z/ { print $1 }' | sort -u; }

mounts_before=$(ps_mounts)
pids_before=$(ps_pids)
if [ "${PEERSTORE_TEST_CLEANUP:-}" = all ]; then mounts_before=""; pids_before=""; fi

cleanup() {
  local m p
  # Mount points come escaped as in /proc/mounts (\040 for a space ...).
  comm -13 <(printf '%s\n' "$mounts_before") <(ps_mounts) | while read -r m; do
    [ -n "$m" ] || continue
    m=$(perl -pe 's/\\([0-7]{3})/chr(oct($1))/ge' <<<"$m")
    echo "test.sh: detaching leftover mount $m" >&2
    fusermount3 -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  # A detached daemon normally exits by itself; give it a moment, then kill what is left.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -n "$(comm -13 <(printf '%s\n' "$pids_before") <(ps_pids))" ] || break
    sleep 0.2
  done
  comm -13 <(printf '%s\n' "$pids_before") <(ps_pids) | while read -r p; do
    [ -n "$p" ] || continue
    echo "test.sh: killing leftover peerstorefs (pid $p)" >&2
    kill -9 "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

LOG=build/meson-logs/testlog.json
rm -f "$LOG"
meson test -C build --print-errorlogs --num-processes 2 "$@"
rc=$?
cleanup
trap - EXIT

if [ -s "$LOG" ]; then
  jq -rs '
    def n(f): map(select(.result | f)) | length;
    (n(. == "OK" or . == "EXPECTEDFAIL")) as $p
    | (n(. == "FAIL" or . == "TIMEOUT" or . == "ERROR" or . == "UNEXPECTEDPASS" or . == "INTERRUPT")) as $f
    | (n(. == "SKIP")) as $s
    | "\($p) passed, \($f) failed" + (if $s > 0 then ", \($s) skipped" else "" end)' "$LOG"
else
  echo "0 passed, 0 failed (meson wrote no test log)"
fi
exit "$rc"
