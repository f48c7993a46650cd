// .snapshots/ of a mount (fs/mount_tree.h Snapshots, host/mount_snapshots.h): the versions
// retention keeps, each a read-only tree under its time; hidden from the root's listing; no
// entry of that name can be made; reading an old version gives what was committed then; a
// pinned version under its pin's name (two pins of one version: two trees).
#include "host/mount_snapshots.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "../common/must.h"
#include "host_fs.h"
#include "keys/signing_key.h"
#include "store/memory_store.h"

namespace peerstore::host {
namespace {

using test::must;
constexpr uint64_t kRoot = NodeTable::kRootIno;

using test_fs::me;
using test_fs::options;

struct Home {
  MemoryStore store;
  SigningKey user = SigningKey::generate();
  PublicKey device = SigningKey::generate().public_key();
  std::unique_ptr<FileSystem> fs = must(FileSystem::open(
      must(Volume::open(store, VolumeKeys::derive_home(user), device)), options(), me()));
  MountSnapshots snapshots{store, VolumeKeys::derive_home(user), device, RetentionPolicy{},
                           [this] { return read_pins(*fs); }};
  MountTree tree{*fs, nullptr};
  Home() { tree.set_snapshots(&snapshots); }

  void put(const std::string& name, const std::string& text) {
    EntryOut e;
    int r = tree.lookup(kRoot, name, &e);
    if (r == ENOENT) {
      REQUIRE(tree.create(me(), kRoot, name, 0644, O_RDWR, &e) == 0);
    } else {
      REQUIRE(r == 0);
      REQUIRE(tree.open(e.ino, O_RDWR) == 0);  // same-length texts: no truncation
    }
    REQUIRE(tree.write(e.ino, 0, to_bytes(text)) == ssize_t(text.size()));
    REQUIRE(tree.release(e.ino, O_RDWR) == 0);
    REQUIRE(tree.commit() == 0);
  }
  std::vector<std::string> listing(uint64_t dir) {
    std::vector<std::string> names;
    REQUIRE(tree.opendir(dir) == 0);
    REQUIRE(
        tree.readdir(dir, 0, false, [&](std::string_view n, const struct stat&, uint64_t, bool) {
          if (n != "." && n != "..") names.emplace_back(n);
          return true;
        }) == 0);
    return names;
  }
  std::string read(uint64_t dir, const std::string& name) {
    EntryOut e;
    REQUIRE(tree.lookup(dir, name, &e) == 0);
    REQUIRE(tree.open(e.ino, O_RDONLY) == 0);
    Bytes b;
    REQUIRE(tree.read(e.ino, 0, 4096, &b) == 0);
    REQUIRE(tree.release(e.ino) == 0);
    tree.forget(e.ino, 1);
    return std::string(as_chars(b));
  }
};

TEST_CASE(".snapshots: each committed version, read-only, under its time") {
  Home h;
  h.put("a.txt", "one");
  h.put("a.txt", "two");
  h.put("b.txt", "bee");

  // Hidden from the root's listing, but there to look up.
  for (auto& n : h.listing(kRoot)) CHECK(n != ".snapshots");
  EntryOut dir;
  REQUIRE(h.tree.lookup(kRoot, ".snapshots", &dir) == 0);
  CHECK(dir.ino == MountTree::kSnapshotsIno);
  CHECK(S_ISDIR(dir.attr.st_mode));
  struct stat st;
  REQUIRE(h.tree.getattr(MountTree::kSnapshotsIno, &st) == 0);
  CHECK((st.st_mode & 0222) == 0);

  // Three commits, oldest first, each named by its second; of several in one second (these
  // usually are), all but the latest add "~" and their head's first hex digits.
  std::vector<std::string> names = h.listing(MountTree::kSnapshotsIno);
  REQUIRE(names.size() == 3);
  std::set<std::string> plain;
  for (auto& n : names)
    if (n.find('~') == std::string::npos) plain.insert(n);
  CHECK(plain.count(names[2]) == 1);
  for (auto& n : names) {
    CHECK(n.substr(0, 19).size() == std::string("2026-12-05T10-00-00").size());
    if (n.size() > 19) CHECK((n[19] == '~' && n.size() == 28 && plain.count(n.substr(0, 19))));
  }
  CHECK(std::set<std::string>(names.begin(), names.end()).size() == 3);

  EntryOut oldest, newest;
  REQUIRE(h.tree.lookup(MountTree::kSnapshotsIno, names[0], &oldest) == 0);
  REQUIRE(h.tree.lookup(MountTree::kSnapshotsIno, names[2], &newest) == 0);
  CHECK(oldest.ino != newest.ino);
  CHECK(h.read(oldest.ino, "a.txt") == "one");
  CHECK(h.read(newest.ino, "a.txt") == "two");
  CHECK(h.read(newest.ino, "b.txt") == "bee");
  EntryOut none;
  CHECK(h.tree.lookup(oldest.ino, "b.txt", &none) == ENOENT);
  CHECK(h.tree.lookup(MountTree::kSnapshotsIno, "1999-01-01T00-00-00", &none) == ENOENT);

  // Nothing in a version changes.
  EntryOut f;
  CHECK(h.tree.create(me(), oldest.ino, "new.txt", 0644, O_RDWR, &f) == EROFS);
  CHECK(h.tree.mkdir(me(), oldest.ino, "d", 0755, &f) == EROFS);
  CHECK(h.tree.unlink(oldest.ino, "a.txt") == EROFS);
  REQUIRE(h.tree.lookup(oldest.ino, "a.txt", &f) == 0);
  CHECK(h.tree.open(f.ino, O_WRONLY) == EROFS);
  CHECK(h.tree.write(f.ino, 0, to_bytes("x")) == -EROFS);
  CHECK(h.tree.setxattr(f.ino, "user.x", to_bytes("1"), 0) == EROFS);
  h.tree.forget(f.ino, 1);
  CHECK(h.tree.mkdir(me(), MountTree::kSnapshotsIno, "x", 0755, &f) == EROFS);
  CHECK(h.tree.commit(oldest.ino) == 0);

  // The name is taken at the root: nothing of that name can be made, moved there or removed.
  CHECK(h.tree.mkdir(me(), kRoot, ".snapshots", 0755, &f) == EEXIST);
  CHECK(h.tree.create(me(), kRoot, ".snapshots", 0644, O_RDWR, &f) == EEXIST);
  CHECK(h.tree.rename(kRoot, "a.txt", kRoot, ".snapshots", 0) == EBUSY);
  CHECK(h.tree.rmdir(kRoot, ".snapshots") == EBUSY);
  CHECK(h.read(kRoot, "a.txt") == "two");

  // Forgotten and looked up again: the same number, the same content.
  h.tree.forget(oldest.ino, 1);
  EntryOut again;
  REQUIRE(h.tree.lookup(MountTree::kSnapshotsIno, names[0], &again) == 0);
  CHECK(again.ino == oldest.ino);
  CHECK(h.read(again.ino, "a.txt") == "one");
  CHECK(h.tree.close());
}

TEST_CASE(".snapshots: a pinned version shows under its pin's name") {
  Home h;
  h.put("a.txt", "one");
  Id256 first = h.fs->volume().head()->hash();
  h.put("a.txt", "two");
  REQUIRE(add_pin(*h.fs, Pin{"before-two", first, 1, "a note"}) == 0);
  REQUIRE(add_pin(*h.fs, Pin{"same-version", first, 2, ""}) == 0);
  REQUIRE(h.tree.commit() == 0);

  // Three commits (the pins made the third); the first shows by its pins' names only.
  std::vector<std::string> names = h.listing(MountTree::kSnapshotsIno);
  CHECK(names.size() == 4);
  CHECK(std::count(names.begin(), names.end(), "before-two") == 1);
  CHECK(std::count(names.begin(), names.end(), "same-version") == 1);
  EntryOut pinned, twin;
  REQUIRE(h.tree.lookup(MountTree::kSnapshotsIno, "before-two", &pinned) == 0);
  REQUIRE(h.tree.lookup(MountTree::kSnapshotsIno, "same-version", &twin) == 0);
  CHECK(pinned.ino != twin.ino);  // never one directory with two parents
  CHECK(h.read(pinned.ino, "a.txt") == "one");
  CHECK(h.read(twin.ino, "a.txt") == "one");
  EntryOut f;
  CHECK(h.tree.create(me(), pinned.ino, "new.txt", 0644, O_RDWR, &f) == EROFS);
  CHECK(h.read(kRoot, "a.txt") == "two");
  CHECK(h.tree.close());
}

TEST_CASE(".snapshots: a mount without a source of versions has no such name") {
  MemoryStore store;
  SigningKey user = SigningKey::generate();
  auto fs = must(FileSystem::open(
      must(Volume::open(store, VolumeKeys::derive_home(user), SigningKey::generate().public_key())),
      options(), me()));
  MountTree tree(*fs, nullptr);
  EntryOut e;
  CHECK(tree.lookup(kRoot, ".snapshots", &e) == ENOENT);
  CHECK(tree.mkdir(me(), kRoot, ".snapshots", 0755, &e) == 0);
}

}  // namespace
}  // namespace peerstore::host
