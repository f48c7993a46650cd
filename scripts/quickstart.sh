#!/bin/bash
# quickstart.sh [MOUNTPOINT]: installs what is missing, builds, and mounts a one-node PeerStore
# at MOUNTPOINT (default /mnt/peerstore). peerstorefs daemonizes and returns once the mount
# answers. Identity and config go to ~/.config/peerstore, data to ~/.local/share/peerstore
# (of the user running this; with sudo, root's).
set -euo pipefail

MNT=${1:-/mnt/peerstore}
case $MNT in /*) ;; *) MNT=$PWD/$MNT ;; esac   # before the cd below
[ "$MNT" = / ] || MNT=${MNT%/}
cd "$(dirname "$0")/.."

# fstype of whatever is mounted exactly at MNT, empty if nothing.
mounted_type() { findmnt -rn -M "$MNT" -o FSTYPE 2>/dev/null | tail -n 1 || true; }

bash scripts/install-deps.sh   # strict: a mount needs /dev/fuse
bash scripts/build.sh

t=$(mounted_type)
if [ "$t" = fuse.peerstorefs ] || [ "$t" = fuse ]; then
  if stat "$MNT" >/dev/null 2>&1; then
    if [ "$t" = fuse.peerstorefs ]; then
      echo "PeerStore is already mounted at $MNT"
      echo "to unmount: fusermount3 -u $MNT"
      exit 0
    fi
  else
    echo "$MNT holds a dead FUSE mount (its daemon is gone); detaching it" >&2
    fusermount3 -uz "$MNT"
    t=""
  fi
fi
if [ -n "$t" ]; then
  echo "error: $MNT is already a mount point (type $t); pick another: bash scripts/quickstart.sh DIR" >&2
  exit 1
fi

mkdir -p "$MNT"
build/tools/peerstorefs "$MNT"

if [ -z "$(mounted_type)" ]; then
  echo "error: peerstorefs exited 0 but nothing is mounted at $MNT" >&2
  exit 1
fi
echo "PeerStore is mounted at $MNT"
echo "  identity and config: ${XDG_CONFIG_HOME:-$HOME/.config}/peerstore"
echo "  data:                ${XDG_DATA_HOME:-$HOME/.local/share}/peerstore"
echo "to unmount: fusermount3 -u $MNT"
