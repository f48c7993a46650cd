#!/bin/bash
# encryption_cost.sh: what the transport's record layer costs (the AEAD on every frame:
# AES-256-GCM where both peers have it in hardware, else ChaCha20-Poly1305). Runs the DHT
# benchmark (bench/dht_bench.sh: 10 peerstore-node processes on 127.0.0.1, puts and gets
# of 256 KiB blocks, 1 / 8 / 64 in flight) on this tree, and on a copy of this commit whose
# AeadFrameFilter seals and opens nothing (the handshake, framing and tags stay: only the
# cipher work goes), alternating ROUNDS times so both see the same machine; prints the
# median ops/s of each and the ratio (also saved in bench/out/encryption/compare.md). The
# copy is a git worktree (PLAIN_WT, default /tmp/peerstore-plain, made or moved to HEAD) built
# in PLAIN_BUILD (default /tmp/peerstore-plain-build); it is for this benchmark only.
# Env: BUILD_DIR (this tree's build dir; default build/, made by scripts/build.sh), ROUNDS (3),
# BENCH_TMP (where the nodes keep their data; /dev/shm takes the disk out), JOBS.
# Extra arguments go to dht_bench (e.g. --tput-ops 400).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel)
cd "$ROOT"
PLAIN_WT=${PLAIN_WT:-/tmp/peerstore-plain}
PLAIN_BUILD=${PLAIN_BUILD:-/tmp/peerstore-plain-build}
ROUNDS=${ROUNDS:-3}
OUT=$ROOT/bench/out/encryption
mkdir -p "$OUT"
: > "$OUT/runs.jsonl"

if [ ! -d "$PLAIN_WT" ]; then
  git worktree add --detach "$PLAIN_WT" HEAD >&2
else
  git -C "$PLAIN_WT" checkout -q -f --detach "$(git rev-parse HEAD)"
fi
# The copy's record layer keeps its counters and 16-byte tags but does no cipher work.
perl -0pi -e 's/send_\.aead->seal\(.*?\);/(void)0;/s;
  s/if \(!receive_\.aead->open\(.*?\)\)\n/if (false)\n/s' \
  "$PLAIN_WT/src/dht/aead_frame_filter.cc"
grep -q 'aead->seal\|aead->open' "$PLAIN_WT/src/dht/aead_frame_filter.cc" &&
  { echo "encryption_cost.sh: could not take the cipher out of the copy" >&2; exit 1; }
[ -f "$PLAIN_BUILD/build.ninja" ] || (cd "$PLAIN_WT" && meson setup "$PLAIN_BUILD" --buildtype=release >&2)
if [ -n "${BUILD_DIR:-}" ]; then
  B=$(cd "$BUILD_DIR" && pwd)
else
  BUILDTYPE=release bash scripts/build.sh >&2
  B=$ROOT/build
fi
for b in "$PLAIN_BUILD" "$B"; do
  meson compile -C "$b" -j "${JOBS:-$(nproc)}" bench/dht_bench tools/peerstore-node tools/peerstore >&2
done

# One dht_bench.sh run of a tree (its own script, which knows how its nodes join), tagged.
run() {
  local tag=$1 tree=$2 build=$3
  shift 3
  echo "# $tag: round $round" >&2
  (cd "$tree" && ONLY=peerstore BUILD_DIR="$build" bash bench/dht_bench.sh --sizes 256K "$@" >&2)
  grep -h '^{' "$tree/bench/out/dht/peerstore.txt" | jq -c --arg tag "$tag" '. + {tag: $tag}' \
    >> "$OUT/runs.jsonl"
}
# dht_bench.sh builds only with BUILD_DIR set; compiling happened above.
for round in $(seq 1 "$ROUNDS"); do
  run plain "$PLAIN_WT" "$PLAIN_BUILD" "$@"
  run encrypted "$ROOT" "$B" "$@"
done

{
  echo "256 KiB blocks on a 10-node ring, median of $ROUNDS rounds (bench/encryption_cost.sh);"
  echo "plain: the same commit with the record layer's cipher taken out"
  echo
  echo "| op | in flight | plain ops/s | encrypted ops/s | encrypted / plain | p99 ms plain | p99 ms encrypted |"
  echo "|---|---|---|---|---|---|---|"
  jq -rs '
    def median: sort | if length == 0 then null else .[(length - 1) / 2 | floor] end;
    group_by([.op, .inflight]) | .[] |
    (map(select(.tag == "plain"))) as $p | (map(select(.tag == "encrypted"))) as $e |
    ($p | map(.ops_per_s) | median) as $pr | ($e | map(.ops_per_s) | median) as $er |
    "| \(.[0].op) | \(.[0].inflight) | \($pr | round) | \($er | round) | " +
    "\(if $pr then ($er / $pr * 100 | round / 100) else "-" end) | " +
    "\($p | map(.p99_ms) | median) | \($e | map(.p99_ms) | median) |"' "$OUT/runs.jsonl"
} | tee "$OUT/compare.md"
