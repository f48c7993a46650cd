#!/bin/bash
# share_latency.sh [-n GRANTS]: how soon a shared folder shows in the recipient's mount
# (issue 14, Figures). Starts 3 peerstore-node processes and two peerstorefs mounts of two users
# (their own --config; the mounts host two more ring members), then GRANTS times (default 50):
# makes a folder with one file on the first mount, runs `peerstore-share grant FOLDER USER
# --write`, and reads the file under shared/ on the second mount until it shows. Prints the
# time from the start of the grant command to the first read there, in ms:
#   share_latency: N grants: p50 X ms, p90 X ms, p99 X ms, max X ms (load L)
# Builds nothing: uses BUILD_DIR (default build). Each run cleans up its processes and files.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
N=50
while getopts "n:" o; do
  case $o in n) N=$OPTARG ;; *) echo "usage: $0 [-n GRANTS]" >&2; exit 2 ;; esac
done
B=$(cd "${BUILD_DIR:-$ROOT/build}" && pwd)
ME=share_latency.sh
. "$ROOT/bench/cluster_lib.sh"
need_binaries
[ -x "$B/tools/peerstore-share" ] || { echo "$ME: $B/tools/peerstore-share is missing: build it first" >&2; exit 2; }
start_run share-latency

start_peerstore_node n1
TOKEN=$(invite_token n1)
start_peerstore_node n2 "$TOKEN"
start_peerstore_node n3 "$TOKEN"
wait_for_ring n1 2
mount_user owner "$TOKEN" "$RUN/owner-config"
mount_user member "$TOKEN" "$RUN/member-config"
A=$RUN/owner/mnt M=$RUN/member/mnt
MEMBER=$("$B/tools/peerstore-share" whoami --config "$RUN/member-config" | tail -1)
sleep 3  # the ring of five settles (1 s stabilize period)

: > "$RUN/ms.txt"
for i in $(seq "$N"); do
  mkdir "$A/folder-$i"
  echo "in folder $i" > "$A/folder-$i/file"
  t0=$(date +%s%N)
  "$B/tools/peerstore-share" grant "$A/folder-$i" "$MEMBER" --write > /dev/null
  got=""
  while :; do
    got=$(cat "$M"/shared/*/"folder-$i/file" 2>/dev/null || true)
    [ "$got" = "in folder $i" ] && break
    t=$(date +%s%N)
    if [ $(((t - t0) / 1000000)) -gt 30000 ]; then
      echo "$ME: grant $i did not show in 30 s" >&2
      exit 1
    fi
    sleep 0.005
  done
  echo $((($(date +%s%N) - t0) / 1000000)) >> "$RUN/ms.txt"
done
sort -n "$RUN/ms.txt" | awk -v load="$(cut -d' ' -f1 /proc/loadavg)" '
  { v[NR] = $1 }
  END {
    printf "share_latency: %d grants: p50 %d ms, p90 %d ms, p99 %d ms, max %d ms (load %s)\n",
      NR, v[int(NR * 0.50 + 0.5)], v[int(NR * 0.90 + 0.5)], v[int(NR * 0.99 + 0.5)], v[NR], load
  }'
