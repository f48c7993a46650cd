#!/bin/bash
# sync_write.sh [-m MIB] [-r REPS]: write throughput of a mount alone and beside a second mounted
# computer of the same user (issue 13: within 10 %). Starts 3 peerstore-node processes and mount
# A (a 4-node ring), writes MIB MiB (default 512) with dd conv=fsync REPS times (default 3),
# then mounts B (same --config, own --data) and repeats, alternating, while B follows A's
# commits. Prints:
#   sync_write: alone X MB/s, beside another computer Y MB/s (ratio R), medians of REPS (load L)
# Builds nothing: uses BUILD_DIR (default build).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
MIB=512 REPS=3
while getopts "m:r:" o; do
  case $o in m) MIB=$OPTARG ;; r) REPS=$OPTARG ;; *) echo "usage: $0 [-m MIB] [-r REPS]" >&2; exit 2 ;; esac
done
B=$(cd "${BUILD_DIR:-$ROOT/build}" && pwd)
ME=sync_write.sh
. "$ROOT/bench/cluster_lib.sh"
need_binaries
start_run sync-write

# MB/s of one dd of MIB MiB into $1, fsync included; the file is removed afterwards.
write_rate() {
  local out
  out=$(dd if=/dev/zero of="$1" bs=1M count="$MIB" conv=fsync 2>&1 | tail -1)
  rm -f "$1"
  sync
  awk -v b=$((MIB * 1048576)) '{ for (i = 1; i <= NF; i++) if ($i == "s,") t = $(i - 1) }
                               END { printf "%.0f\n", b / t / 1e6 }' <<<"$out"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

start_peerstore_node n1
TOKEN=$(invite_token n1)
start_peerstore_node n2 "$TOKEN"
start_peerstore_node n3 "$TOKEN"
wait_for_ring n1 2
mount_user a "$TOKEN"
A=$RUN/a/mnt
for i in $(seq "$REPS"); do write_rate "$A/alone-$i"; done > "$RUN/alone.txt"
mount_user b "$TOKEN"
sleep 3
for i in $(seq "$REPS"); do write_rate "$A/beside-$i"; done > "$RUN/beside.txt"
alone=$(median < "$RUN/alone.txt")
beside=$(median < "$RUN/beside.txt")
echo "# alone: $(tr '\n' ' ' < "$RUN/alone.txt")MB/s; beside: $(tr '\n' ' ' < "$RUN/beside.txt")MB/s" >&2
awk -v a="$alone" -v b="$beside" -v load="$(cut -d' ' -f1 /proc/loadavg)" -v reps="$REPS" \
  'BEGIN { printf "sync_write: alone %d MB/s, beside another computer %d MB/s (ratio %.2f), medians of %d (load %s)\n", a, b, b / a, reps, load }'
