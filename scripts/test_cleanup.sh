# shellcheck shell=bash
# test_cleanup.sh: sourced by scripts/test.sh and bench/flake_loop.sh. Cleans up after a test
# run whose mounts, data directories and processes all live under one directory of its own
# (PEERSTORE_TEST_TMPDIR), so a PeerStore you mounted yourself and other runs survive:
#   test_cleanup DIR WHO   detaches the mounts under DIR (fusermount3 -uz, else umount -l),
#                          kills the peerstorefs, peerstore-node and peerstore-malicious-node
#                          processes whose arguments name DIR, aborts those mounts' FUSE
#                          connections (as root), and removes DIR; says what it did on
#                          stderr, prefixed "WHO: ".

# Mount points under DIR, one a line, in /proc/mounts' escaped form.
test_run_mounts() { awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts; }

# The processes started for the run in DIR (their --data or mountpoint arguments name it; the
# e2e suite keeps every node's data there).
test_run_pids() {
  pgrep -f -- "(peerstorefs|peerstore-node|peerstore-malicious-node) .*$1/" || true
}

# The FUSE connection numbers (the minor device numbers) of the mounts under DIR, from
# MOUNTINFO (default /proc/self/mountinfo). The file system type is the field after the "-"
# that ends mountinfo's optional fields (none, or some such as shared:N, depending on the
# mount's propagation). tests/unit/cleanup_self_test.sh checks both forms.
test_run_fuse_conns() {
  awk -v d="$1/" '
    index($5, d) == 1 {
      for (i = 7; i < NF; i++) if ($i == "-") break
      if ($(i + 1) ~ /^fuse/) { split($3, dev, ":"); print dev[2] }
    }' "${2:-/proc/self/mountinfo}"
}

test_cleanup() {
  local dir=$1 who=$2 m p c conns
  conns=$(test_run_fuse_conns "$dir")
  test_run_mounts "$dir" | while read -r m; do
    [ -n "$m" ] || continue
    m=$(perl -pe 's/\\([0-7]{3})/chr(oct($1))/ge' <<<"$m")
    echo "$who: detaching leftover mount $m" >&2
    fusermount3 -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  # A detached daemon normally exits by itself; give it a moment, then kill what is left
  # (storage nodes never exit by themselves: those are always killed here).
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    [ -n "$(test_run_pids "$dir")" ] || break
    sleep 0.2
  done
  for p in $(test_run_pids "$dir"); do
    echo "$who: killing leftover $(ps -o comm= -p "$p" 2>/dev/null || echo process) (pid $p)" >&2
    kill -9 "$p" 2>/dev/null || true
  done
  # A detached mount whose daemon is gone can still hold requests (a test process stuck in a
  # lookup, unkillable): aborting its connection fails them with ENOTCONN. Needs root and
  # fusectl; best effort.
  if [ -n "$conns" ] && [ -w /sys/fs/fuse ]; then
    mountpoint -q /sys/fs/fuse/connections ||
      mount -t fusectl fusectl /sys/fs/fuse/connections 2>/dev/null || true
    for c in $conns; do
      [ -w "/sys/fs/fuse/connections/$c/abort" ] || continue
      echo "$who: aborting the FUSE connection $c of a leftover mount" >&2
      echo 1 > "/sys/fs/fuse/connections/$c/abort" 2>/dev/null || true
    done
  fi
  rm -rf "$dir" 2>/dev/null || true
}
