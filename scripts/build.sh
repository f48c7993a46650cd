#!/bin/bash
# build.sh: installs what is missing (scripts/install-deps.sh), configures build/ (release by
# default; BUILDTYPE=debugoptimized etc. to change) and compiles with one job per core.
# Extra arguments go to `meson setup`, e.g. `bash scripts/build.sh -Dtests=false`.
set -euo pipefail
cd "$(dirname "$0")/.."

# Building needs no /dev/fuse: a missing one is only a warning here (quickstart.sh and the
# mount tests fail on it themselves).
PEERSTORE_NO_FUSE=${PEERSTORE_NO_FUSE:-1} bash scripts/install-deps.sh

BUILDTYPE=${BUILDTYPE:-release}
if [ -f build/meson-private/coredata.dat ]; then
  # Reconfigure (unchanged objects are not rebuilt); quiet unless it fails. A directory made
  # by an incompatible meson version is started over, which meson itself asks for.
  if ! out=$(meson setup --reconfigure build --buildtype="$BUILDTYPE" "$@" 2>&1); then
    if grep -q -- '--wipe' <<<"$out"; then
      meson setup --wipe build --buildtype="$BUILDTYPE" "$@"
    else
      printf '%s\n' "$out" >&2
      exit 1
    fi
  fi
else
  meson setup build --buildtype="$BUILDTYPE" "$@"
fi
meson compile -C build -j "$(nproc)"
