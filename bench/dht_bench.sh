#!/bin/bash
# dht_bench.sh [WORKLOAD OPTIONS]: PeerStore's DHT beside OpenDHT's, on this machine, in one run.
# Starts NODES (10) peerstore-node processes on 127.0.0.1 and runs build/bench/dht_bench against
# them (put and get of 1 KiB and 256 KiB blocks: latency with 1 in flight, throughput with 64
# and with 8 in flight: on loopback every OpenDHT peer has the same IP, and at 64 its per-IP
# rate limit starts dropping requests, so the table also shows it where it does not);
# stops them; starts NODES dhtnode processes on loopback and runs build/bench/opendht_bench
# (the same workload; OpenDHT stores values of at most 64 KiB, so 256 KiB is "not supported");
# stops them; prints both tables and a side-by-side one with the ratios (also saved in
# bench/out/dht/: peerstore.txt, opendht.txt, compare.md).
# Installs what is missing (dhtnode, libopendht-dev, jq) with apt-get, so run it as root.
# Arguments go to both benchmarks after the defaults --inflight 64,8 (see `dht_bench --help`),
# e.g. --ops 200 --tput-ops 1000, or --sizes 1K,64K,256K for a size both systems take.
# Env: BUILD_DIR (an existing meson build dir to use instead of build/, which
# scripts/build.sh makes as a release build), JOBS (compile jobs there; default nproc),
# NODES (10), SETTLE (seconds the bench waits after joining; 5), NETWORK (OpenDHT network id;
# 4242), ONLY=peerstore|opendht runs one side, BENCH_TMP (where the nodes' data directories
# go; default /tmp: a tmpfs such as /dev/shm takes the disk out of PeerStore's figures),
# KEEP=1 keeps the nodes' directories and logs (printed at the end), NODE_ARGS is added to every
# peerstore-node's command line (NODE_ARGS="--replica-ack written": acknowledge before the sync).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || dirname "$HERE")
cd "$ROOT"
NODES=${NODES:-10}
SETTLE=${SETTLE:-5}
NETWORK=${NETWORK:-4242}
OUT=$ROOT/bench/out/dht
mkdir -p "$OUT"

# ---- packages and build ----
missing=()
command -v dhtnode >/dev/null || missing+=(dhtnode)
pkg-config --exists opendht 2>/dev/null || missing+=(libopendht-dev)
command -v jq >/dev/null || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
  echo "# installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi
if [ -n "${BUILD_DIR:-}" ]; then
  B=$(cd "$BUILD_DIR" && pwd)
  # A build dir configured before libopendht-dev was installed has no opendht_bench target.
  [ -f "$B/build.ninja" ] && grep -q opendht_bench "$B/build.ninja" || meson setup --reconfigure "$B" >&2
  meson compile -C "$B" -j "${JOBS:-$(nproc)}" dht_bench opendht_bench peerstore-node peerstore >&2
else
  BUILDTYPE=${BUILDTYPE:-release} bash scripts/build.sh >&2
  B=$ROOT/build
fi
for f in bench/dht_bench bench/opendht_bench tools/peerstore-node tools/peerstore; do
  [ -x "$B/$f" ] || { echo "dht_bench.sh: $B/$f was not built" >&2; exit 1; }
done

RUN=$(mktemp -d "${BENCH_TMP:-/tmp}/dht-bench.XXXXXX")
ME=dht_bench.sh
. "$ROOT/bench/cluster_lib.sh"
PIDS=()   # every process this script started and has not reaped yet

# Stops the given pids: SIGTERM, up to GRACE seconds, then SIGKILL. Prints how many had to be
# killed, since a node that ignores SIGTERM is worth knowing about.

cleanup() {
  stop_pids 5 "${PIDS[@]}"
  PIDS=()
  if [ "${KEEP:-0}" = 1 ]; then echo "# kept $RUN" >&2; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A UDP port nobody listens on (dhtnode needs a fixed one; its peers learn it when it writes).
free_udp_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    ss -Hlun "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

# ---- PeerStore ----

ONLY=${ONLY:-}
ps_rc=0 od_rc=0
: > "$OUT/peerstore.txt"
: > "$OUT/opendht.txt"
if [ "$ONLY" != opendht ]; then
  echo "# load before PeerStore: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  start_peerstore_node ps0
  FIRST=$(cat "$RUN/ps0/node.addr")
  TOKEN=$(invite_token ps0)  # admits the other nodes and the bench to ps0's network
  for i in $(seq 1 $((NODES - 1))); do start_peerstore_node "ps$i" "$TOKEN"; done
  echo "# $NODES peerstore-node processes up, first at $FIRST; running dht_bench" >&2
  PS_CMD=("$B/bench/dht_bench" --join "$TOKEN" --nodes "$NODES" --settle "$SETTLE" --inflight 64,8 "$@")
  echo "# ${PS_CMD[*]/$TOKEN/TOKEN}" >&2  # the token is the network secret
  "${PS_CMD[@]}" > "$OUT/peerstore.txt" || ps_rc=$?
  cat "$OUT/peerstore.txt"
  for i in $(seq 0 $((NODES - 1))); do
    if grep -qiE 'error|fatal|abort' "$RUN/ps$i.log"; then
      echo "# peerstore-node $i logged errors:" >&2
      grep -iE 'error|fatal|abort' "$RUN/ps$i.log" | head -5 | sed 's/^/#   /' >&2
    fi
  done
  stop_pids 20 "${PIDS[@]}"
  PIDS=()
fi

# ---- OpenDHT ----
if [ "$ONLY" != peerstore ]; then
  echo "# load before OpenDHT: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  FIRST_PORT=""
  for i in $(seq 0 $((NODES - 1))); do
    port=$(free_udp_port)
    # -s: service mode (no shell, stays in the foreground, so we keep its pid).
    if [ -z "$FIRST_PORT" ]; then
      dhtnode -s -n "$NETWORK" -p "$port" < /dev/null > "$RUN/dht$i.log" 2>&1 &
      FIRST_PORT=$port
    else
      dhtnode -s -n "$NETWORK" -p "$port" -b "127.0.0.1:$FIRST_PORT" < /dev/null > "$RUN/dht$i.log" 2>&1 &
    fi
    PIDS+=($!)
    for _ in $(seq 50); do ss -Hlun "sport = :$port" | grep -q . && break; sleep 0.1; done
    kill -0 "${PIDS[-1]}" 2>/dev/null || { echo "dht_bench.sh: dhtnode $i died:" >&2; cat "$RUN/dht$i.log" >&2; exit 1; }
  done
  echo "# $NODES dhtnode processes up, first on UDP $FIRST_PORT; running opendht_bench" >&2
  OD_CMD=("$B/bench/opendht_bench" --bootstrap "127.0.0.1:$FIRST_PORT" --network "$NETWORK" --nodes "$NODES" --settle "$SETTLE" --inflight 64,8 "$@")
  echo "# ${OD_CMD[*]}" >&2
  "${OD_CMD[@]}" > "$OUT/opendht.txt" || od_rc=$?
  cat "$OUT/opendht.txt"
  stop_pids 5 "${PIDS[@]}"
  PIDS=()
fi

# ---- side by side ----
# Rows: every (size, mode, op) either system measured; ratios are PeerStore / OpenDHT for
# ops/s and OpenDHT / PeerStore for latency, so above 1 means PeerStore is better in both.
{
  grep -h '^{' "$OUT/peerstore.txt" "$OUT/opendht.txt" | jq -rs '
    def num(x; d): if x == null then "-" else (x * pow(10; d) | round / pow(10; d) | tostring) end;
    def sz: if . % 1048576 == 0 then "\(. / 1048576) MiB" elif . % 1024 == 0 then "\(. / 1024) KiB" else "\(.) B" end;
    def cell(r; f; d): if r == null then "-" elif r.supported == false then "not supported" else num(r[f]; d) end;
    def measured(r): r != null and r.supported != false and (r.ok // 0) > 0;
    def ratio(a; b; f): if measured(a) and measured(b) and (b[f] // 0) > 0
                        then num(a[f] / b[f]; 1) + "×" else "-" end;
    def load(r): if r == null or r.load == null then "-" else (r.load | split(" ")[0]) end;
    group_by([.size, .mode, .inflight, .op])
    | sort_by(.[0].size, (.[0].mode != "latency"), -.[0].inflight, (.[0].op != "put"))
    | (["| size | mode | op | PeerStore ops/s | OpenDHT ops/s | ops/s ratio | PeerStore p50 ms | OpenDHT p50 ms | PeerStore p99 ms | OpenDHT p99 ms | p99 ratio | failures P / O | load P / O |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"][]),
      (.[] | (map(select(.system == "peerstore"))[0]) as $p | (map(select(.system == "opendht"))[0]) as $o
        | "| \(.[0].size | sz) | \(.[0].mode) (\(.[0].inflight)) | \(.[0].op) | \(cell($p; "ops_per_s"; 0)) | \(cell($o; "ops_per_s"; 0)) | \(ratio($p; $o; "ops_per_s")) | \(cell($p; "p50_ms"; 2)) | \(cell($o; "p50_ms"; 2)) | \(cell($p; "p99_ms"; 2)) | \(cell($o; "p99_ms"; 2)) | \(ratio($o; $p; "p99_ms")) | \(cell($p; "failures"; 0)) / \(cell($o; "failures"; 0)) | \(load($p)) / \(load($o)) |")'
  echo
  echo "Ratios: PeerStore / OpenDHT ops/s, OpenDHT / PeerStore p99 (above 1: PeerStore better)."
  echo "PeerStore: $NODES peerstore-node + the bench's node; OpenDHT: $NODES dhtnode + the bench's writer and reader."
} | tee "$OUT/compare.md"
[ "${KEEP:-0}" = 1 ] && echo "# nodes' logs in $RUN" >&2
if [ "$ps_rc" != 0 ] || [ "$od_rc" != 0 ]; then
  echo "dht_bench.sh: failures: dht_bench exited $ps_rc, opendht_bench $od_rc" >&2
  exit 1
fi
