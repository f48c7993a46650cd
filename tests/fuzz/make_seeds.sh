#!/bin/bash
# make_seeds.sh [BUILD_DIR] [TARGET...]: regenerates the committed seed corpora
# tests/fuzz/corpus/TARGET/ from real encoded objects: each target's make_seeds(), run through
# its PEERSTORE_FUZZ_SEEDS mode. BUILD_DIR (default build-fuzz) is a -Dfuzz=true build; with no
# TARGET, every fuzz_* target in it. Replaces each corpus directory whole.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build-fuzz}
shift || true
[ -d "$build/tests/fuzz" ] || { echo "no fuzz build in $build: see docs/fuzzing.md" >&2; exit 1; }
if [ $# -eq 0 ]; then
  set -- $(find "$build/tests/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x -printf '%f\n' | sed 's/^fuzz_//' | sort)
fi
for t in "$@"; do
  dir=tests/fuzz/corpus/$t
  rm -rf "$dir" && mkdir -p "$dir"
  PEERSTORE_FUZZ_SEEDS=$dir "$build/tests/fuzz/fuzz_$t"
done
