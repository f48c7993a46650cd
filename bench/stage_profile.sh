#!/bin/bash
# stage_profile.sh: where the CPU goes when a one-node PeerStore mount writes and reads 1 GiB.
# Mounts a fresh PeerStore, samples every CPU with `perf record -a` while `dd` writes 1 GiB of
# random data (conv=fsync) and, after dropping the page cache, reads it back; sorts the samples
# into the data path's stages by symbol and prints, for each direction, the CPU time of each
# stage in ns per byte of file data beside the stage's physical limit on this machine
# (build/bench/stage_bench, one thread), and last each direction's busy CPU against the sum of
# the floors its stages must cost (docs/performance.md, issue 17 item 2). The machine should be
# otherwise idle: every sample
# counts. Needs root (perf -a, drop_caches) and perf; builds nothing (run scripts/build.sh).
# Env: BENCH_TMP (where the mount lives; default /tmp), FSBENCH_DATA (where the 1 GiB of
# random data is kept; default /dev/shm/fsbench), FREQ (samples per second per CPU; 1999),
# KEEP=1 keeps the mount's directory and the perf data.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
cd "$ROOT"
BIN=$ROOT/build/tools/peerstorefs
STAGE_BENCH=$ROOT/build/bench/stage_bench
for f in "$BIN" "$STAGE_BENCH"; do
  [ -x "$f" ] || { echo "stage_profile.sh: $f is missing: run scripts/build.sh" >&2; exit 2; }
done
command -v perf >/dev/null || { echo "stage_profile.sh: perf is missing: apt-get install linux-perf" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "stage_profile.sh: /usr/bin/time is missing: apt-get install time" >&2; exit 2; }
FREQ=${FREQ:-1999}
DATA=${FSBENCH_DATA:-/dev/shm/fsbench}
RAND=$DATA/rand1g
BYTES=1073741824
mkdir -p "$DATA"
if [ ! -s "$RAND" ] || [ "$(stat -c %s "$RAND")" -ne "$BYTES" ]; then
  echo "# generating $RAND (1 GiB from /dev/urandom)" >&2
  head -c "$BYTES" /dev/urandom > "$RAND"
fi

# shellcheck source=bench/mount_lib.sh
. bench/mount_lib.sh

# profile NAME COMMAND...: runs COMMAND under a system-wide perf record into $RUN/NAME.data;
# prints its wall time in seconds.
profile() {
  local name=$1 t0 t1 perf_pid
  shift
  perf record -a -F "$FREQ" -o "$RUN/$name.data" -q -- sleep 1000 2>/dev/null &
  perf_pid=$!
  sleep 0.5
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  kill -INT "$perf_pid" 2>/dev/null || true
  wait "$perf_pid" 2>/dev/null || true
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

# stages NAME: the samples of $RUN/NAME.data sorted into stages, "STAGE|SAMPLES" lines. Threads
# are told apart by name (ps-seal, ps-store, ps-upload, ps-commit, ps-claims, dht, ps-disk; FUSE workers keep the
# process name); OpenSSL's and LMDB's symbols are stripped, so their libraries are one stage
# each (build/bench/stage_bench splits the crypto into key, cipher and id).
stages() {
  perf report -i "$RUN/$1.data" --stdio --no-children -q -n --sort comm,dso,sym -t '|' \
    2>/dev/null | awk -F'|' '
    NF < 5 { next }
    {
      n = $2 + 0; comm = $3; dso = $4; sym = $5
      gsub(/^ +| +$/, "", comm); gsub(/^ +| +$/, "", dso); sub(/^ *\[.\] */, "", sym)
      kernel = dso ~ /kernel/
      if (comm == "swapper" || sym ~ /idle|native_safe_halt|safe_halt|cpu_startup_entry|mwait/) s = "idle"
      else if (comm ~ /^(perf|sleep|bash|awk|mv|cat)$/) s = "idle"  # the bench itself
      else if (dso ~ /libcrypto|libsodium/) s = "crypto (key, cipher, id hash)"
      else if (dso ~ /liblmdb/) s = "LMDB (user)"
      else if (comm == "ps-store" && kernel) s = "store writes (kernel: page cache, ext4, sync)"
      else if (comm ~ /^(ps-upload|ps-disk|ps-claims|dht)/) s = "upload to the node (hand over, claims, its writes)"
      else if (comm == "dd" && !kernel) s = "dd (user)"
      else if (comm == "dd") s = "dd (kernel: syscalls, FUSE requests, page cache)"
      else if (kernel && sym ~ /fuse/) s = "FUSE (kernel, daemon side)"
      else if (kernel && sym ~ /copy_user|copyin|copyout|copy_page|copy_folio|_copy_to_iter|_copy_from_iter|rep_movs|memcpy|memmove/) s = "kernel copies (FUSE replies, page cache)"
      else if (kernel && sym ~ /ext4|jbd2|blk_|nvme|virtio|iomap|bio|writeback|filemap|folio|page_cache|mpage/) s = "page cache and disk (kernel)"
      else if (kernel && sym ~ /fault|pte|pmd|unmap|tlb|page_range/) s = "page faults and unmapping (kernel)"
      else if (!kernel && sym ~ /memmove|memcpy|memset/) s = "copies (user)"
      else if (kernel) s = "other kernel (syscalls, scheduling, locks)"
      else s = "other user (FS logic, allocation, locks)"
      total[s] += n
    }
    END { for (s in total) printf "%s|%d\n", s, total[s] }'
}

# table NAME WALL: the stage table of one direction.
table() {
  local name=$1 wall=$2
  echo "| stage | ns/byte | share of busy CPU |"
  echo "|---|---|---|"
  stages "$name" | sort -t'|' -k2 -nr | awk -F'|' -v freq="$FREQ" -v bytes="$BYTES" -v wall="$wall" '
    { name[NR] = $1; n[NR] = $2; if ($1 != "idle") busy += $2 }
    END {
      for (i = 1; i <= NR; i++) if (name[i] != "idle")
        printf "| %s | %.3f | %.0f %% |\n", name[i], n[i] * 1e9 / freq / bytes, 100 * n[i] / busy
      printf "| **all busy CPU** | **%.3f** | wall %.2f s = %.0f MB/s, %.2f of 2 cores busy |\n",
        busy * 1e9 / freq / bytes, wall, bytes / wall / 1e6, busy / freq / wall
    }'
}

# LMDB's floor at the size the mount writes, measured just before it, so that both write into
# pages in the same state (on this VM a page the guest has not touched lately costs several
# times a memcpy to write into, which dominates the kernel's share of both).
FLOOR_DIR=$(mktemp -d "${BENCH_TMP:-/tmp}/stage-floor.XXXXXX")
"$STAGE_BENCH" --lmdb-only --lmdb-mib 1024 --dir "$FLOOR_DIR/lmdb" > "$FLOOR_DIR/lmdb.md"
# The read's disk floor: that LMDB file read cold, sequentially (CPU of dd, user and kernel).
sync
echo 3 > /proc/sys/vm/drop_caches
COLD=$( { /usr/bin/time -f "%U %S" dd if="$FLOOR_DIR/lmdb/data.mdb" of=/dev/null bs=1M \
  status=none; } 2>&1 | awk -v b="$BYTES" '{ printf "%.3f", ($1 + $2) * 1e9 / b }')
rm -rf "$FLOOR_DIR/lmdb"

mount_fresh
WALL_W=$(profile write dd if="$RAND" of="$MNT/x" bs=1M count=1024 conv=fsync status=none)
sync
echo 3 > /proc/sys/vm/drop_caches
WALL_R=$(profile read dd if="$MNT/x" of=/dev/null bs=1M status=none)

echo "## Writing 1 GiB (dd bs=1M conv=fsync), CPU time by stage (perf record -a, $FREQ Hz)"
echo
table write "$WALL_W"
echo
echo "## Reading it back cold (dd bs=1M), CPU time by stage"
echo
table read "$WALL_R"
echo
unmount_run
echo "## Physical limits on this machine (build/bench/stage_bench)"
echo
"$STAGE_BENCH" --mib 256 --dir "$RUN/stage_bench" | tee "$FLOOR_DIR/stages.md"
echo
echo "LMDB again at the size written, measured just before the mount wrote it:"
echo
cat "$FLOOR_DIR/lmdb.md"

# floor NAME: column 3 (ns/byte) of stage_bench's row NAME.
floor() { awk -F'|' -v n="$1" '{ r = $2; gsub(/^ +| +$/, "", r) } r == n { print $3 + 0; exit }' "$FLOOR_DIR/stages.md"; }
# busy NAME / dd NAME: all busy CPU, and dd's own stages (the same on any FUSE file system), in
# ns per byte of the profile NAME.
busy() { stages "$1" | awk -F'|' -v f="$FREQ" -v b="$BYTES" '$1 != "idle" { n += $2 } END { printf "%.3f", n * 1e9 / f / b }'; }
dd_cost() { stages "$1" | awk -F'|' -v f="$FREQ" -v b="$BYTES" '$1 ~ /^dd / { n += $2 } END { printf "%.3f", n * 1e9 / f / b }'; }
SEAL=$(floor "seal_block, suite 2")
OPEN=$(floor "open_block (whole chunk), suite 2")
COPY=$(floor "memcpy (64 MiB working set)")
LMDB=$(awk -F'|' '/batched puts/ { printf "%.3f", $4 + $5; exit }' "$FLOOR_DIR/lmdb.md")
rm -rf "$FLOOR_DIR"
echo
echo "## Against the floors (ns/byte of CPU)"
echo
echo "| direction | floors | their sum | measured | measured / sum |"
echo "|---|---|---|---|---|"
awk -v seal="$SEAL" -v lmdb="$LMDB" -v copy="$COPY" -v dd="$(dd_cost write)" -v m="$(busy write)" 'BEGIN {
  sum = seal + lmdb + copy + dd
  printf "| write | seal %.2f + LMDB puts (CPU, 1 GiB) %.2f + one copy %.2f + dd %.2f | %.2f | %.2f | %.2f |\n", seal, lmdb, copy, dd, sum, m, m / sum }'
awk -v open="$OPEN" -v cold="$COLD" -v copy="$COPY" -v dd="$(dd_cost read)" -v m="$(busy read)" 'BEGIN {
  sum = open + cold + copy + dd
  printf "| read | open %.2f + the store file read cold (dd, CPU) %.2f + one copy %.2f + dd %.2f | %.2f | %.2f | %.2f |\n", open, cold, copy, dd, sum, m, m / sum }'

