#!/bin/bash
# install_test.sh BUILD_DIR: `meson install` (into a temporary DESTDIR) puts the binaries, the
# man pages and the systemd units where man and systemd look for them under the prefix; every
# page renders without a warning; every unit passes `systemd-analyze verify` (run on copies
# whose commands name the binaries installed in DESTDIR, with MANPATH on its pages, since
# verify checks that both exist).
set -euo pipefail
build=$(realpath "$1")
dest=$(mktemp -d /tmp/peerstore-install.XXXXXX)
trap 'rm -rf "$dest"' EXIT

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >/dev/null
prefix=$(meson introspect "$build" --buildoptions | jq -r '.[] | select(.name=="prefix") | .value')
bindir=$(meson introspect "$build" --buildoptions | jq -r '.[] | select(.name=="bindir") | .value')
root=$dest$prefix
fail() { echo "install: $*" >&2; exit 1; }

for b in peerstorefs peerstore peerstore-node peerstore-share; do
  [ -x "$root/$bindir/$b" ] || fail "$b is not installed in $prefix/$bindir"
  page=$root/share/man/man1/$b.1
  [ -f "$page" ] || fail "no man page $prefix/share/man/man1/$b.1"
  warnings=$(LC_ALL=C MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null || true)
  [ -z "$warnings" ] || fail "$b.1: $warnings"
  LC_ALL=C MANWIDTH=80 man -E UTF-8 -l "$page" 2>/dev/null | grep -q "^NAME" ||
    fail "$b.1 does not render"
done

units=$root/lib/systemd/system
copies=$dest/units
mkdir -p "$copies"
for u in peerstore-node.service peerstorefs@.service; do
  [ -f "$units/$u" ] || fail "no unit $prefix/lib/systemd/system/$u"
  grep -q "^ExecStart=$prefix/$bindir/" "$units/$u" || fail "$u: ExecStart is not in $prefix/$bindir"
  grep -q "^Type=notify" "$units/$u" || fail "$u is not Type=notify"
  sed "s|^ExecStart=$prefix/$bindir/|ExecStart=$root/$bindir/|" "$units/$u" >"$copies/$u"
done
(cd "$copies" && MANPATH=$root/share/man systemd-analyze verify \
  "$copies/peerstore-node.service" "$copies/peerstorefs@mnt-peerstore.service") ||
  fail "systemd-analyze verify failed"
echo "install: binaries, 3 man pages and 2 systemd units in place; pages and units verified"
