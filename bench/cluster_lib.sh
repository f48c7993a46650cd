# cluster_lib.sh: what the cluster benchmarks share, sourced (not run): stopping processes and
# starting peerstore-node processes on 127.0.0.1. The caller sets B (build dir), RUN (its temp
# dir), ME (its name, for messages) and keeps the started pids in the array PIDS.

# need_binaries: exits 2 unless peerstorefs, peerstore-node and peerstore are built in $B.
need_binaries() {
  local f
  for f in peerstorefs peerstore-node peerstore; do
    [ -x "$B/tools/$f" ] || { echo "$ME: $B/tools/$f is missing: build it first" >&2; exit 2; }
  done
}

# stop_pids GRACE PID...: SIGTERM, up to GRACE seconds to exit, then SIGKILL; reaps them all.
stop_pids() {
  local grace=$1 p i killed=0; shift
  [ $# -gt 0 ] || return 0
  kill -TERM "$@" 2>/dev/null || true
  for i in $(seq $((grace * 10))); do
    local alive=0
    for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "$@"; do
    if kill -0 "$p" 2>/dev/null; then kill -KILL "$p" 2>/dev/null || true; killed=$((killed + 1)); fi
    wait "$p" 2>/dev/null || true
  done
  [ "$killed" = 0 ] || echo "# $killed of $# processes were still running ${grace} s after SIGTERM; killed" >&2
}

# start_peerstore_node NAME [JOIN]: a node in $RUN/NAME on a port of its choosing; returns once
# it wrote its address to $RUN/NAME/node.addr (the caller reads it there). JOIN is an invite
# token (see invite_token) or HOST:PORT once $RUN/NAME holds the network secret. NODE_ARGS, if
# set, is added to every node's command line (e.g. NODE_ARGS="--replica-ack written").
start_peerstore_node() {
  local d=$RUN/$1
  mkdir -p "$d"
  # shellcheck disable=SC2086 # NODE_ARGS is a list of words
  "$B/tools/peerstore-node" --listen 127.0.0.1:0 --data "$d" ${2:+--join "$2"} ${NODE_ARGS:-} \
    > "$d.log" 2>&1 &
  PIDS+=($!)
  local i
  for i in $(seq 150); do
    [ -s "$d/node.addr" ] && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  echo "$ME: peerstore-node $1 did not start; its log:" >&2
  sed 's/^/  /' "$d.log" >&2
  exit 1
}

# invite_token NAME: an invite token for the node running in $RUN/NAME (needs $B/tools/peerstore).
invite_token() {
  "$B/tools/peerstore" invite --data "$RUN/$1" 2>/dev/null ||
    { echo "$ME: peerstore invite --data $RUN/$1 failed" >&2; exit 1; }
}

# wait_for_ring NAME N: waits (up to 20 s) until the node in $RUN/NAME has N successors, then 2 s
# more for the ring to settle (1 s stabilize period) before mounts ask it for heads.
wait_for_ring() {
  local n _
  for _ in $(seq 100); do
    n=$("$B/tools/peerstore" status --data "$RUN/$1" --json 2>/dev/null | jq '.successors | length' || echo 0)
    [ "${n:-0}" -ge "$2" ] && break
    sleep 0.2
  done
  sleep 2
}

# mount_user NAME JOIN [CONFIG]: peerstorefs on $RUN/NAME/mnt with data $RUN/NAME/data and the
# user in CONFIG (default $RUN/config, so every such mount_user is a computer of one user),
# joining JOIN; adds its pid to PIDS and its mount point to MOUNTS; returns once mounted.
mount_user() {
  local d=$RUN/$1 i config=${3:-$RUN/config}
  mkdir -p "$d/mnt" "$d/data" "$config"
  "$B/tools/peerstorefs" "$d/mnt" --data "$d/data" --config "$config" -f --join "$2" \
    > "$d.log" 2>&1 &
  PIDS+=($!)
  MOUNTS+=("$d/mnt")
  for i in $(seq 150); do
    grep -q " $d/mnt " /proc/mounts && return 0
    sleep 0.1
  done
  echo "$ME: $1 did not mount; its log:" >&2
  sed 's/^/  /' "$d.log" >&2
  exit 1
}

# unmount_all: unmounts every mount in MOUNTS (lazily if busy).
unmount_all() {
  local m
  for m in "${MOUNTS[@]}"; do fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" 2>/dev/null || true; done
  MOUNTS=()
}

# start_run NAME: a new temporary $RUN, empty PIDS and MOUNTS, and traps that unmount, stop
# the processes and remove $RUN on exit (KEEP=1 keeps it).
start_run() {
  RUN=$(mktemp -d "${BENCH_TMP:-/tmp}/$1.XXXXXX")
  PIDS=()
  MOUNTS=()
  trap run_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
run_cleanup() {
  unmount_all
  stop_pids 30 "${PIDS[@]}"
  if [ "${KEEP:-0}" = 1 ]; then echo "# kept $RUN" >&2; else rm -rf "$RUN"; fi
}
