#!/bin/bash
# compare.sh: runs the shared workload suite on gocryptfs and securefs, the fastest encrypted
# FUSE peers (../shared/bench/peers.sh, into bench/out/peers.txt), and on PeerStore
# (bench/fs_bench.sh, into bench/out/ours.txt) in one session, then prints a markdown table side
# by side with PeerStore's ratio to the faster of the two on each row (issue 17's measure; also
# saved as bench/out/compare.md). PEERS="gocryptfs securefs cryfs" adds CryFS.
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
PEERS=${PEERS:-gocryptfs securefs}
mkdir -p "$OUT"

bash scripts/build.sh >&2   # fail before spending minutes on the peers
if [ "${REUSE_PEERS:-0}" = 1 ] && [ -s "$OUT/peers.txt" ]; then
  echo "# reusing $OUT/peers.txt" >&2
else
  echo "# running peers ($PEERS); details in ${BENCH_WORK:-/tmp/peerbench}/raw/" >&2
  # shellcheck disable=SC2086
  bash "$PEERS_SH" $PEERS > "$OUT/peers.txt"
fi
echo "# running peerstore" >&2
bash bench/fs_bench.sh > "$OUT/ours.txt"

awk -v peers="$PEERS" '
  BEGIN { np = split(peers, peer, " ") }
  /^#/ || NF < 4 { next }
  {
    key = $2
    if (!(key in unit)) { order[++n] = key; unit[key] = $4 }
    val[$1, key] = $3
  }
  function cell(l, k) { return ((l, k) in val) ? val[l, k] : "—" }
  function lower_better(k) { return unit[k] == "s" || unit[k] == "MiB" }
  # The faster of gocryptfs and securefs on row k, and PeerStore against it (above 1: PeerStore
  # is faster, whichever the unit).
  function best(k,   i, b, v) {
    b = ""
    for (i = 1; i <= np; i++) if (peer[i] != "cryfs" && (peer[i], k) in val && val[peer[i], k] + 0 > 0) {
      v = val[peer[i], k] + 0
      if (b == "" || (lower_better(k) ? v < b : v > b)) b = v
    }
    return b
  }
  function ratio(k,   b) {
    b = best(k)
    if (!(("peerstore", k) in val) || b == "" || val["peerstore", k] + 0 == 0) return "—"
    return sprintf("%.2f", lower_better(k) ? b / val["peerstore", k] : val["peerstore", k] / b)
  }
  END {
    printf "| workload | unit | peerstore"
    for (i = 1; i <= np; i++) printf " | %s", peer[i]
    print " | peerstore / best of gocryptfs, securefs |"
    printf "|---|---|---"
    for (i = 1; i <= np; i++) printf "|---"
    print "|---|"
    for (j = 1; j <= n; j++) {
      k = order[j]
      printf "| %s%s | %s | %s", k, lower_better(k) ? " (lower is better)" : "", unit[k], cell("peerstore", k)
      for (i = 1; i <= np; i++) printf " | %s", cell(peer[i], k)
      printf " | %s |\n", ratio(k)
    }
    print ""
    print "The last column is PeerStore against the faster of gocryptfs and securefs on that row,"
    print "oriented so that above 1 means PeerStore is faster. — means not measured."
  }
' "$OUT/ours.txt" "$OUT/peers.txt" | tee "$OUT/compare.md"
