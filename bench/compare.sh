#!/bin/bash
# compare.sh: runs the shared workload suite on gocryptfs and CryFS (../shared/bench/peers.sh,
# into bench/out/peers.txt) and on PeerStore (bench/fs_bench.sh, into bench/out/ours.txt) in one
# session, then prints a markdown table side by side (also saved as bench/out/compare.md).
# Needs root (peers.sh installs the peers with apt; cold reads drop the page cache), about
# 3 minutes per file system and 1.1 GiB in /dev/shm.
# Env: REUSE_PEERS=1 keeps an existing bench/out/peers.txt instead of re-running the peers
# (absolute figures drift between sessions; ratios from one run are the ones to quote);
# REPS, FIO_REPS, FIO_RUNTIME are passed on to both runs.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
cd "$ROOT"
PEERS_SH=${PEERS_SH:-$ROOT/../shared/bench/peers.sh}
OUT=bench/out
mkdir -p "$OUT"

bash scripts/build.sh >&2   # fail before spending minutes on the peers
if [ "${REUSE_PEERS:-0}" = 1 ] && [ -s "$OUT/peers.txt" ]; then
  echo "# reusing $OUT/peers.txt" >&2
else
  echo "# running peers (gocryptfs, cryfs); details in ${BENCH_WORK:-/tmp/peerbench}/raw/" >&2
  bash "$PEERS_SH" gocryptfs cryfs > "$OUT/peers.txt"
fi
echo "# running peerstore" >&2
bash bench/fs_bench.sh > "$OUT/ours.txt"

awk '
  /^#/ || NF < 4 { next }
  {
    key = $2
    if (!(key in unit)) { order[++n] = key; unit[key] = $4 }
    val[$1, key] = $3
  }
  function cell(l, k) { return ((l, k) in val) ? val[l, k] : "—" }
  function ratio(k, peer) {
    if (!(("peerstore", k) in val) || !((peer, k) in val) || val[peer, k] + 0 == 0) return "—"
    return sprintf("%.2f", val["peerstore", k] / val[peer, k])
  }
  END {
    print "| workload | unit | peerstore | gocryptfs | CryFS | peerstore/gocryptfs | peerstore/CryFS |"
    print "|---|---|---|---|---|---|---|"
    for (i = 1; i <= n; i++) {
      k = order[i]; u = unit[k]
      better = (u == "s" || u == "MiB") ? " (lower is better)" : ""
      printf "| %s%s | %s | %s | %s | %s | %s | %s |\n", k, better, u,
        cell("peerstore", k), cell("gocryptfs", k), cell("cryfs", k), ratio(k, "gocryptfs"), ratio(k, "cryfs")
    }
    print ""
    print "Ratios are peerstore / peer: above 1 is better for PeerStore in MB/s, files/s and IOPS rows;"
    print "below 1 is better in rows marked \"lower is better\". — means not measured."
  }
' "$OUT/ours.txt" "$OUT/peers.txt" | tee "$OUT/compare.md"
