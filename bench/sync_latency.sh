#!/bin/bash
# sync_latency.sh [-n CHANGES]: live sync propagation on a 5-node loopback ring (issue 13).
# Starts 3 peerstore-node processes and two peerstorefs mounts of one user (one --config, two
# --data; the mounts host the other 2 nodes), then CHANGES times (default 1000): writes new
# content to a file on the first mount (open, write, close) and reads the file on the second
# until it shows that content. Prints the distribution of the time from close() on one to the
# new content read on the other, in ms:
#   sync_latency: N changes: p50 X ms, p90 X ms, p99 X ms, max X ms (load L)
# Builds nothing: uses BUILD_DIR (default build). Each run cleans up its processes and files.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
N=1000
while getopts "n:" o; do
  case $o in n) N=$OPTARG ;; *) echo "usage: $0 [-n CHANGES]" >&2; exit 2 ;; esac
done
B=$(cd "${BUILD_DIR:-$ROOT/build}" && pwd)
ME=sync_latency.sh
. "$ROOT/bench/cluster_lib.sh"
need_binaries
start_run sync-latency

start_peerstore_node n1
TOKEN=$(invite_token n1)
start_peerstore_node n2 "$TOKEN"
start_peerstore_node n3 "$TOKEN"
wait_for_ring n1 2
mount_user a "$TOKEN"
mount_user b "$TOKEN"
A=$RUN/a/mnt B_MNT=$RUN/b/mnt
sleep 3  # the ring of five settles (1 s stabilize period)

# The file exists on both before timing starts.
echo start > "$A/f"
for _ in $(seq 200); do [ "$(cat "$B_MNT/f" 2>/dev/null)" = start ] && break; sleep 0.1; done
[ "$(cat "$B_MNT/f" 2>/dev/null)" = start ] || { echo "$ME: the second mount never saw the file" >&2; exit 1; }

: > "$RUN/ms.txt"
for i in $(seq "$N"); do
  want="change $i $RANDOM"
  printf '%s\n' "$want" > "$A/f"
  t0=$(date +%s%N)
  got=""
  while :; do
    IFS= read -r got < "$B_MNT/f" || true
    [ "$got" = "$want" ] && break
    t=$(date +%s%N)
    if [ $(((t - t0) / 1000000)) -gt 30000 ]; then
      echo "$ME: change $i did not arrive in 30 s" >&2
      exit 1
    fi
  done
  echo $((($(date +%s%N) - t0) / 1000000)) >> "$RUN/ms.txt"
done
sort -n "$RUN/ms.txt" | awk -v load="$(cut -d' ' -f1 /proc/loadavg)" '
  { v[NR] = $1 }
  END {
    printf "sync_latency: %d changes: p50 %d ms, p90 %d ms, p99 %d ms, max %d ms (load %s)\n",
      NR, v[int(NR * 0.50 + 0.5)], v[int(NR * 0.90 + 0.5)], v[int(NR * 0.99 + 0.5)], v[NR], load
  }'
echo "# distribution (ms: count, by 50 ms buckets):" >&2
awk '{ b = int($1 / 50) * 50; c[b]++ } END { for (k in c) print k, c[k] }' "$RUN/ms.txt" | sort -n |
  sed 's/^/#   /' >&2
