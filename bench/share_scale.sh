#!/bin/bash
# share_scale.sh [-f FILES] [-m MIB] [-r REPS]: what sharing costs as folders grow (issue 14, Figures).
# Starts one peerstore-node and two users' mounts on it (a ring of three), then on the owner's
# mount:
#   - a folder of FILES small files (default 10000): `peerstore-share grant` and then
#     `peerstore-share revoke` of the other user, each timed (a grant splits the folder off
#     without re-encrypting anything; a revoke writes all of it again under new keys);
#   - a folder of MIB MiB (default 1024, in 64 MiB files): granted, then read whole, cold
#     (page cache dropped), beside a copy of the same files outside any shared folder, in one
#     run (own, shared, shared, own; REPS times, default 1), and the ratio printed; then its
#     revoke timed.
# Prints one line a figure:
#   share_scale: grant of 10000 files: X ms
#   share_scale: revoke of 10000 files: X ms
#   share_scale: read 1024 MiB cold: own X MB/s, shared X MB/s, shared/own R
#   share_scale: revoke of 1024 MiB: X s (X MB/s)
# As root (to drop the page cache). Builds nothing: uses BUILD_DIR (default build).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
FILES=10000 MIB=1024 REPS=1
while getopts "f:m:r:" o; do
  case $o in
    f) FILES=$OPTARG ;;
    m) MIB=$OPTARG ;;
    r) REPS=$OPTARG ;;
    *) echo "usage: $0 [-f FILES] [-m MIB] [-r REPS]" >&2; exit 2 ;;
  esac
done
B=$(cd "${BUILD_DIR:-$ROOT/build}" && pwd)
ME=share_scale.sh
. "$ROOT/bench/cluster_lib.sh"
need_binaries
SHARE=$B/tools/peerstore-share
[ -x "$SHARE" ] || { echo "$ME: $SHARE is missing: build it first" >&2; exit 2; }
start_run share-scale

start_peerstore_node n1
TOKEN=$(invite_token n1)
mount_user owner "$TOKEN" "$RUN/owner-config"
mount_user member "$TOKEN" "$RUN/member-config"
A=$RUN/owner/mnt
MEMBER=$("$SHARE" whoami --config "$RUN/member-config" | tail -1)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
cold() { sync; echo 3 > /proc/sys/vm/drop_caches; }

mkdir "$A/many"
for i in $(seq "$FILES"); do printf 'file %d\n' "$i" > "$A/many/f$i"; done
sync
t0=$(date +%s%N)
"$SHARE" grant "$A/many" "$MEMBER" > /dev/null
echo "share_scale: grant of $FILES files: $(ms_since "$t0") ms"
t0=$(date +%s%N)
"$SHARE" revoke "$A/many" "$MEMBER" > "$RUN/report-many.txt"
echo "share_scale: revoke of $FILES files: $(ms_since "$t0") ms ($(grep -c ' bytes  modified ' "$RUN/report-many.txt") files in its report)"

mkdir "$A/own" "$A/big"
n=$(((MIB + 63) / 64))
for i in $(seq "$n"); do
  head -c $((64 << 20)) /dev/urandom > "$RUN/piece"
  cp "$RUN/piece" "$A/own/p$i"
  cp "$RUN/piece" "$A/big/p$i"
done
rm -f "$RUN/piece"
sync
"$SHARE" grant "$A/big" "$MEMBER" > /dev/null
read_ms() {
  cold
  local t0
  t0=$(date +%s%N)
  cat "$1"/p* > /dev/null
  ms_since "$t0"
}
# Twice each a round, in the order own, shared, shared, own, so neither gains from going second.
own=0 shared=0
for _ in $(seq "$REPS"); do
  own=$((own + $(read_ms "$A/own")))
  shared=$((shared + $(read_ms "$A/big")))
  shared=$((shared + $(read_ms "$A/big")))
  own=$((own + $(read_ms "$A/own")))
done
awk -v own="$own" -v shared="$shared" -v mib=$((n * 64)) -v reps="$REPS" 'BEGIN {
  k = 2 * reps * mib * 1.048576
  printf "share_scale: read %d MiB cold, %d times each: own %.0f MB/s, shared %.0f MB/s, shared/own %.2f\n",
    mib, 2 * reps, k / (own / 1000), k / (shared / 1000), own / shared }'
t0=$(date +%s%N)
"$SHARE" revoke "$A/big" "$MEMBER" > /dev/null
ms=$(ms_since "$t0")
awk -v ms="$ms" -v mib=$((n * 64)) 'BEGIN {
  printf "share_scale: revoke of %d MiB: %.1f s (%.0f MB/s)\n", mib, ms / 1000, mib * 1.048576 / (ms / 1000) }'
echo "share_scale: load $(cut -d' ' -f1 /proc/loadavg)"
