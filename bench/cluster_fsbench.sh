#!/bin/bash
# cluster_fsbench.sh: the shared file system workload suite (../shared/bench/fsbench.sh) on a
# PeerStore mount backed by 3 local nodes (2 peerstore-node processes plus the mount's own node,
# so every block gets its 3 copies), then on a one-node mount (no --join), and both side by side.
# Prints the suite's lines "peerstore-3node|peerstore-1node WORKLOAD VALUE UNIT", then a markdown
# table (also saved as bench/out/cluster/compare.md with the raw lines and logs beside it).
# Around the 3-node run it also reports where replication stood: each node's block count and
# the mount's pending uploads when the suite ended, and how long the unmount (which first
# uploads everything still pending) took.
# Run as root (fsbench.sh drops the page cache for cold reads). About 10 minutes; with 3 nodes
# each one is a replica of every block and keeps it, so BENCH_TMP needs ~15 GiB free.
# Env: BUILD_DIR (an existing meson build dir instead of build/, which scripts/build.sh makes
# as a release build), JOBS (compile jobs there; default nproc), DURABILITY (local, the
# default, or replicated: passed as -o durability=... to the 3-node mount), FSBENCH (path of
# fsbench.sh), REPS, FIO_REPS, FIO_RUNTIME, FSBENCH_DATA (passed on), BENCH_TMP (default /tmp),
# ONLY=3node|1node runs one side, KEEP=1 keeps the directories and logs.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
cd "$ROOT"
FSBENCH=${FSBENCH:-$ROOT/../shared/bench/fsbench.sh}
DURABILITY=${DURABILITY:-local}
ONLY=${ONLY:-}
OUT=$ROOT/bench/out/cluster
mkdir -p "$OUT"
[ -f "$FSBENCH" ] || { echo "cluster_fsbench.sh: $FSBENCH not found (set FSBENCH)" >&2; exit 1; }
case $DURABILITY in local|replicated) ;; *) echo "DURABILITY is local or replicated" >&2; exit 2 ;; esac

if [ -n "${BUILD_DIR:-}" ]; then
  B=$(cd "$BUILD_DIR" && pwd)
  meson compile -C "$B" -j "${JOBS:-$(nproc)}" peerstorefs peerstore-node peerstore >&2
else
  BUILDTYPE=${BUILDTYPE:-release} bash scripts/build.sh >&2
  B=$ROOT/build
fi
ME=cluster_fsbench.sh
. "$ROOT/bench/cluster_lib.sh"
need_binaries
RUN=$(mktemp -d "${BENCH_TMP:-/tmp}/cluster-fsbench.XXXXXX")
PIDS=()
MNT="" MNT_PID=""

# SIGTERM (a node leaves the ring gracefully), up to GRACE seconds, then SIGKILL.

# Unmounts and waits for the daemon, which uploads what is pending and leaves the ring first.
# Sets UNMOUNT_S to the seconds that took.
unmount() {
  [ -n "$MNT" ] || return 0
  local t0 i
  t0=$(date +%s.%N)
  for i in $(seq 50); do
    fusermount3 -u "$MNT" 2>/dev/null && break
    grep -q " $MNT " /proc/mounts || break
    [ "$i" = 50 ] && { echo "# $MNT still busy after 10 s, detaching it" >&2; fusermount3 -uz "$MNT" || true; }
    sleep 0.2
  done
  if [ -n "$MNT_PID" ]; then
    for i in $(seq 1800); do kill -0 "$MNT_PID" 2>/dev/null || break; sleep 0.1; done
    stop_pids 1 "$MNT_PID"
  fi
  UNMOUNT_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  MNT="" MNT_PID=""
}

cleanup() {
  unmount || true
  stop_pids 10 "${PIDS[@]}"
  PIDS=()
  if [ "${KEEP:-0}" = 1 ]; then echo "# kept $RUN" >&2; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


mount_fresh() { # NAME [JOIN [OPTS]]
  local d=$RUN/$1 i
  MNT=$d/mnt
  mkdir -p "$MNT" "$d/data" "$d/config"
  "$B/tools/peerstorefs" "$MNT" --data "$d/data" --config "$d/config" -f ${2:+--join "$2"} ${3:+-o "$3"} \
    > "$d/daemon.log" 2>&1 &
  MNT_PID=$!
  for i in $(seq 150); do
    grep -q " $MNT " /proc/mounts && return 0
    kill -0 "$MNT_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "cluster_fsbench.sh: peerstorefs did not mount $MNT within 15 s; its log:" >&2
  sed 's/^/  /' "$d/daemon.log" >&2
  exit 1
}

# One '#' line per data directory: blocks held, pending uploads, keys below target.
node_report() { # WHEN DIR...
  local when=$1 d; shift
  for d in "$@"; do
    "$B/tools/peerstore" status --data "$d" --json 2>/dev/null |
      jq -r --arg w "$when" --arg d "${d#$RUN/}" \
        '"# \($w): \($d): \(.state), \(.successors | length) successors, \(.blocks) blocks, \(.pending_uploads) pending uploads, \(.below_target) below target"' >&2 ||
      echo "# $when: ${d#$RUN/}: no status" >&2
  done
}

LOAD() { cut -d' ' -f1-3 /proc/loadavg; }
: > "$OUT/results.txt"

if [ "$ONLY" != 1node ]; then
  echo "# 3-node mount (durability=$DURABILITY); load $(LOAD)" >&2
  start_peerstore_node n1
  ADDR=$(cat "$RUN/n1/node.addr")
  TOKEN=$(invite_token n1)  # admits n2 and the mount to n1's network
  start_peerstore_node n2 "$TOKEN"
  opts=""
  [ "$DURABILITY" = replicated ] && opts="durability=replicated"
  mount_fresh m3 "$TOKEN" "$opts"
  # Let the three-node ring stabilize (1 s period) before writing.
  for _ in $(seq 100); do
    n=$("$B/tools/peerstore" status --data "$RUN/n1" --json 2>/dev/null | jq '.successors | length' || echo 0)
    [ "${n:-0}" -ge 2 ] && break
    sleep 0.2
  done
  sleep 2
  node_report "before" "$RUN/n1" "$RUN/n2" "$RUN/m3/data"
  echo "# bash $FSBENCH $MNT peerstore-3node" >&2
  bash "$FSBENCH" "$MNT" peerstore-3node 2> >(tee "$OUT/fsbench-3node.log" >&2) | tee -a "$OUT/results.txt"
  node_report "suite done" "$RUN/n1" "$RUN/n2" "$RUN/m3/data"
  unmount
  echo "# 3-node unmount (uploads what is pending, then leaves the ring) took $UNMOUNT_S s" >&2
  node_report "after unmount" "$RUN/n1" "$RUN/n2"
  if grep -iE 'error|warn' "$RUN/m3/daemon.log" "$RUN/n1.log" "$RUN/n2.log" > "$RUN/warnings.txt"; then
    echo "# warnings and errors logged during the 3-node run ($(wc -l < "$RUN/warnings.txt") lines), first ones:" >&2
    head -8 "$RUN/warnings.txt" | sed 's/^/#   /' >&2
  fi
  cp "$RUN/m3/daemon.log" "$OUT/daemon-3node.log"
  stop_pids 30 "${PIDS[@]}"
  PIDS=()
  rm -rf "$RUN/n1" "$RUN/n2" "$RUN/m3"
fi

if [ "$ONLY" != 3node ]; then
  echo "# one-node mount; load $(LOAD)" >&2
  mount_fresh m1
  sleep 1
  echo "# bash $FSBENCH $MNT peerstore-1node" >&2
  bash "$FSBENCH" "$MNT" peerstore-1node 2> >(tee "$OUT/fsbench-1node.log" >&2) | tee -a "$OUT/results.txt"
  unmount
  echo "# 1-node unmount took $UNMOUNT_S s" >&2
fi

awk '
  NF < 4 || /^#/ { next }
  {
    if (!($2 in unit)) { order[++n] = $2; unit[$2] = $4 }
    val[$1, $2] = $3
  }
  function cell(l, k) { return ((l, k) in val) ? val[l, k] : "-" }
  END {
    print "| workload | unit | one node | 3 nodes, 3 copies | 3-node / one-node |"
    print "|---|---|---|---|---|"
    for (i = 1; i <= n; i++) {
      k = order[i]
      r = "-"
      if (("peerstore-1node", k) in val && ("peerstore-3node", k) in val && val["peerstore-1node", k] + 0 > 0)
        r = sprintf("%.2f", val["peerstore-3node", k] / val["peerstore-1node", k])
      printf "| %s%s | %s | %s | %s | %s |\n", k, (unit[k] == "s" ? " (lower is better)" : ""), unit[k],
        cell("peerstore-1node", k), cell("peerstore-3node", k), r
    }
  }
' "$OUT/results.txt" | tee "$OUT/compare.md"
