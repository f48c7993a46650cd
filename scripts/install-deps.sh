#!/bin/bash
# install-deps.sh: installs the Debian 12 packages PeerStore needs to build, test and
# benchmark, and checks that /dev/fuse exists. Idempotent, non-interactive, and silent when
# everything is already there; runs apt-get (and `apt-get update` first) only when a package
# is missing, which needs root.
# Env: PEERSTORE_NO_FUSE=1 turns a missing /dev/fuse from an error into a warning (building
#      and the unit tests do not need it; mounting and the mount tests do).
#      PEERSTORE_TEST_DEPS=1 also installs what only the tests need that a user of the file
#      system should not have to download: Debian's chromium, which loads the --http dashboard
#      page headless (scripts/test.sh sets it).
#      PEERSTORE_FUZZ_DEPS=1 also installs clang and Debian 12's libFuzzer runtime (in
#      libclang-rt-14-dev), which only the fuzz build needs (docs/fuzzing.md).
set -euo pipefail

PKGS=(build-essential g++ meson ninja-build pkg-config libfuse3-dev fuse3 libuv1-dev
      libmsgpack-cxx-dev libsodium-dev libssl-dev liblmdb-dev libsystemd-dev doctest-dev libcli11-dev nlohmann-json3-dev libcpp-httplib-dev attr fio jq git sqlite3 rsync tcpdump
      systemd man-db)
if [ "${PEERSTORE_TEST_DEPS:-0}" = 1 ]; then
  PKGS+=(chromium)
fi
if [ "${PEERSTORE_FUZZ_DEPS:-0}" = 1 ]; then
  PKGS+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${PKGS[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: missing packages: ${missing[*]}; run as root (sudo bash $0) to install them" >&2
    exit 1
  fi
  echo "install-deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
fi

if [ ! -e /dev/fuse ]; then
  if [ "$(id -u)" -eq 0 ] && command -v modprobe >/dev/null 2>&1; then
    modprobe fuse 2>/dev/null || true
  fi
  # Module loaded (or built in) but no device node, as in some containers: create it.
  if [ ! -e /dev/fuse ] && [ "$(id -u)" -eq 0 ] && grep -qw fuse /proc/filesystems 2>/dev/null; then
    mknod -m 0666 /dev/fuse c 10 229 2>/dev/null || true
  fi
  if [ ! -e /dev/fuse ]; then
    fuse_error="/dev/fuse is missing and 'modprobe fuse' did not create it: load the fuse kernel module as root, or give the container the device (docker run --device /dev/fuse --cap-add SYS_ADMIN)"
  fi
fi
# As root, also check that the node opens (a container's device policy can forbid it).
if [ -z "${fuse_error:-}" ] && [ "$(id -u)" -eq 0 ] && ! (: 3<>/dev/fuse) 2>/dev/null; then
  fuse_error="/dev/fuse exists but cannot be opened: give the container the device (docker run --device /dev/fuse --cap-add SYS_ADMIN)"
fi
if [ -n "${fuse_error:-}" ]; then
  if [ "${PEERSTORE_NO_FUSE:-0}" = 1 ]; then
    echo "install-deps.sh: warning: $fuse_error" >&2
  else
    echo "install-deps.sh: error: $fuse_error (PEERSTORE_NO_FUSE=1 to build without it)" >&2
    exit 1
  fi
fi
