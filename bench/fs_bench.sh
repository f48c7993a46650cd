#!/bin/bash
# fs_bench.sh [--rss-only]: runs the shared file system workload suite
# (../shared/bench/fsbench.sh) on a fresh one-node PeerStore mount and measures peerstorefs's
# memory. Prints on stdout the suite's "peerstore WORKLOAD VALUE UNIT" lines, then
#   peerstore peak_rss_MiB VALUE MiB              (VmHWM over the whole suite, unmount included)
#   peerstore peak_rss_1GiB_write_MiB VALUE MiB   (VmHWM of a fresh mount that takes one 1 GiB
#                                                  dd of random data with conv=fsync)
# Details, build output and the daemon's log on failure go to stderr.
# --rss-only skips the suite. Env: REPS, FIO_REPS, FIO_RUNTIME, FSBENCH_DATA (passed on to
# fsbench.sh), FSBENCH (path of fsbench.sh), BENCH_TMP (where the mount, data and config dirs
# are made; default /tmp; the suite stores a few GiB there), KEEP=1 keeps them.
# Run as root for cold-cache reads (fsbench.sh drops the page cache).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
cd "$ROOT"
FSBENCH=${FSBENCH:-$ROOT/../shared/bench/fsbench.sh}
DATA=${FSBENCH_DATA:-/dev/shm/fsbench}
RAND=$DATA/rand1g
RSS_ONLY=0
case ${1:-} in
  --rss-only) RSS_ONLY=1 ;;
  "") ;;
  *) echo "usage: $0 [--rss-only]" >&2; exit 2 ;;
esac
[ "$RSS_ONLY" = 1 ] || [ -f "$FSBENCH" ] ||
  { echo "fs_bench.sh: $FSBENCH not found (set FSBENCH)" >&2; exit 1; }

BUILDTYPE=release bash scripts/build.sh >&2
BIN=$ROOT/build/tools/peerstorefs
[ -x "$BIN" ] || { echo "fs_bench.sh: $BIN was not built" >&2; exit 1; }

RUN="" MNT="" PID="" SAMPLER="" PEAK=""

# Mounts a fresh PeerStore (new data and config dirs) in the foreground, in the background;
# starts a sampler that keeps the daemon's latest VmHWM (kB) in $RUN/hwm.
mount_fresh() {
  RUN=$(mktemp -d "${BENCH_TMP:-/tmp}/peerstore-bench.XXXXXX")
  MNT=$RUN/mnt
  mkdir -p "$MNT" "$RUN/data" "$RUN/config"
  "$BIN" "$MNT" --data "$RUN/data" --config "$RUN/config" -f > "$RUN/daemon.log" 2>&1 &
  PID=$!
  local i
  for i in $(seq 150); do
    grep -q " $MNT " /proc/mounts && break
    if ! kill -0 "$PID" 2>/dev/null || [ "$i" = 150 ]; then
      echo "fs_bench.sh: peerstorefs did not mount $MNT within 15 s; its log:" >&2
      sed 's/^/  /' "$RUN/daemon.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  (
    # VmHWM is the peak, so the last value read before the process ends is the run's peak.
    while v=$(awk '/^VmHWM:/ { print $2; f = 1 } END { exit !f }' "/proc/$PID/status" 2>/dev/null); do
      echo "$v" > "$RUN/hwm.tmp" && mv "$RUN/hwm.tmp" "$RUN/hwm"
      sleep 0.2
    done
  ) &
  SAMPLER=$!
  sleep 0.3
  echo "# peerstore mounted at $MNT (pid $PID), rss after mount $(awk '/^VmRSS:/ { printf "%.1f MiB", $2/1024 }' "/proc/$PID/status")" >&2
}

# Unmounts cleanly, waits for the daemon to flush and exit, sets PEAK (peak RSS in MiB).
# Not to be called in a subshell: it waits for the daemon, a child of this shell.
unmount_run() {
  local i rc=0
  for i in $(seq 50); do
    fusermount3 -u "$MNT" 2>/dev/null && break
    grep -q " $MNT " /proc/mounts || break
    [ "$i" = 50 ] && { echo "# $MNT still busy after 10 s, detaching it" >&2; fusermount3 -uz "$MNT"; }
    sleep 0.2
  done
  for i in $(seq 600); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$PID" 2>/dev/null; then
    echo "# peerstorefs (pid $PID) still running 60 s after unmount; killing it" >&2
    kill -9 "$PID" 2>/dev/null || true
  fi
  wait "$PID" || rc=$?
  [ "$rc" = 0 ] || { echo "# WARNING peerstorefs exited with status $rc; its log:" >&2; sed 's/^/#   /' "$RUN/daemon.log" >&2; }
  PID=""
  wait "$SAMPLER" 2>/dev/null || true
  SAMPLER=""
  PEAK=$(awk '{ printf "%.1f", $1/1024 }' "$RUN/hwm")
}

cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
    fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$PID" 2>/dev/null || true
  fi
  [ -z "$SAMPLER" ] || kill "$SAMPLER" 2>/dev/null || true
  if [ -n "$RUN" ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$RUN"; fi
  RUN=""
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

OUT=""
if [ "$RSS_ONLY" = 0 ]; then
  mount_fresh
  RES=$(bash "$FSBENCH" "$MNT" peerstore)
  unmount_run
  cleanup
  OUT=$RES$'\n'"peerstore peak_rss_MiB $PEAK MiB"$'\n'
fi

mkdir -p "$DATA"
if [ ! -s "$RAND" ] || [ "$(stat -c %s "$RAND")" -ne 1073741824 ]; then
  echo "# generating $RAND (1 GiB from /dev/urandom)" >&2
  head -c 1073741824 /dev/urandom > "$RAND"
fi
mount_fresh
t0=$(date +%s.%N)
dd if="$RAND" of="$MNT/x" bs=1M count=1024 conv=fsync status=none
t1=$(date +%s.%N)
echo "# 1 GiB write with fsync: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s, %.0f MB/s", b-a, 1073.741824/(b-a) }')" >&2
unmount_run
cleanup
OUT+="peerstore peak_rss_1GiB_write_MiB $PEAK MiB"
printf '%s\n' "$OUT"
