#!/bin/bash
# mount_lib.sh: sourced by the benchmarks that run on a fresh one-node PeerStore mount
# (fs_bench.sh, stage_profile.sh, lifecycle_bench.sh). Needs BIN (the peerstorefs binary);
# MOUNT_OPTS, if set, is passed as `-o MOUNT_OPTS`. Provides
#   mount_fresh   mounts a new PeerStore (new data and config dirs under ${BENCH_TMP:-/tmp})
#                 in the background: RUN (its directory), MNT, PID; samples its peak RSS
#   unmount_run   unmounts, waits for the daemon, sets PEAK (peak RSS in MiB)
#   cleanup       kills and removes whatever is left (KEEP=1 keeps the directory)
# and installs `cleanup` as the EXIT trap.

RUN="" MNT="" PID="" SAMPLER="" PEAK=""

# Mounts a fresh PeerStore (new data and config dirs) in the foreground, in the background;
# starts a sampler that keeps the daemon's latest VmHWM (kB) in $RUN/hwm.
mount_fresh() {
  RUN=$(mktemp -d "${BENCH_TMP:-/tmp}/peerstore-bench.XXXXXX")
  MNT=$RUN/mnt
  mkdir -p "$MNT" "$RUN/data" "$RUN/config"
  "$BIN" "$MNT" --data "$RUN/data" --config "$RUN/config" ${MOUNT_OPTS:+-o "$MOUNT_OPTS"} -f \
    > "$RUN/daemon.log" 2>&1 &
  PID=$!
  local i
  for i in $(seq 150); do
    grep -q " $MNT " /proc/mounts && break
    if ! kill -0 "$PID" 2>/dev/null || [ "$i" = 150 ]; then
      echo "$(basename "$0"): peerstorefs did not mount $MNT within 15 s; its log:" >&2
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
