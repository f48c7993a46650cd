#!/bin/bash
# cleanup_self_test.sh SOURCE_ROOT: scripts/test_cleanup.sh finds the FUSE connections of a
# run's mounts in mountinfo lines with and without optional fields (the type's position
# differs), and nothing of other file systems or other directories. It once read a fixed
# field, found none, and left a hung mount's test process stuck for good.
set -euo pipefail
# shellcheck source=scripts/test_cleanup.sh
. "$1/scripts/test_cleanup.sh"
info=$(mktemp)
trap 'rm -f "$info"' EXIT
cat > "$info" <<'LINES'
40 22 0:52 / /tmp/run/mnt-1 rw,nosuid,nodev,relatime - fuse.peerstorefs peerstore rw,user_id=0
41 22 0:53 / /tmp/run/mnt-2 rw,relatime shared:5 - fuse.peerstorefs peerstore rw,user_id=0
42 22 0:54 / /tmp/run/mnt-3 rw,relatime shared:5 master:2 - fuse peerstore rw
43 22 8:1 / /tmp/run/disk rw,relatime - ext4 /dev/sda1 rw
44 22 0:55 / /tmp/other/mnt rw,relatime - fuse.peerstorefs peerstore rw
LINES
got=$(test_run_fuse_conns /tmp/run "$info" | tr '\n' ' ')
if [ "$got" != "52 53 54 " ]; then
  echo "cleanup_self_test: expected connections '52 53 54 ', got '$got'" >&2
  exit 1
fi
echo "cleanup_self_test: ok"
