#!/bin/bash
# fio_ab.sh BIN_A BIN_B [ROUNDS]: fio 4 KiB random write and random read (as in the shared
# fsbench.sh: psync, 256 MiB file, page cache dropped before each) on fresh one-node mounts of
# two peerstorefs binaries, A and B alternating, ROUNDS times (default 2). Prints one line per
# mount: label, round, IOPS of each, the mount's peak RSS. For comparing a change with the build
# before it on a shared machine, where only figures from one run compare. Copy the old binary
# aside before building the new one. Needs root (drop_caches) and fio, jq.
# Env: FIO_RUNTIME (s, default 10), FSBENCH_DATA (random data, default /dev/shm/fsbench),
# BENCH_TMP (see mount_lib.sh).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BIN_A BIN_B [ROUNDS]" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
cd "$ROOT"
# shellcheck source=bench/mount_lib.sh
. bench/mount_lib.sh
RT=${FIO_RUNTIME:-10}
DATA=${FSBENCH_DATA:-/dev/shm/fsbench}
mkdir -p "$DATA"
[ -s "$DATA/rand1g" ] || head -c 1073741824 /dev/urandom > "$DATA/rand1g"
fio_iops() {  # MODE: IOPS of a 4 KiB random run of MODE on $MNT/fio.dat
  sync
  echo 3 > /proc/sys/vm/drop_caches
  fio --name="$1" --filename="$MNT/fio.dat" --size=256m --bs=4k --rw="$1" --ioengine=psync \
    --direct=0 --time_based --runtime="$RT" --output-format=json 2>/dev/null |
    jq "if \"$1\" == \"randread\" then .jobs[0].read.iops else .jobs[0].write.iops end"
}
for r in $(seq "${3:-2}"); do
  for label in A B; do
    if [ "$label" = A ]; then BIN=$1; else BIN=$2; fi
    mount_fresh
    dd if="$DATA/rand1g" of="$MNT/fio.dat" bs=1M count=256 conv=fsync status=none
    w=$(fio_iops randwrite)
    rd=$(fio_iops randread)
    unmount_run
    cleanup
    printf '%s round %s randwrite %.0f randread %.0f peak_rss %s MiB\n' "$label" "$r" "$w" "$rd" "$PEAK"
  done
done
