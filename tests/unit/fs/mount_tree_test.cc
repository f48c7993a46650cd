// MountTree: one kernel inode space over the home volume and the volumes its links name. A link
// shows the linked volume's root; below it that volume's file system answers, under kernel
// numbers of its own; nothing crosses volumes by rename or hard link; numbers the kernel
// forgets are dropped; a link that cannot open answers EIO without taking the mount down.
#include "fs/mount_tree.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <algorithm>

#include "../common/must.h"
#include "fs_harness.h"
#include "mount_tree_harness.h"

namespace peerstore {
namespace {

using test::FsHarness;
using test::kRoot;
using test::must;
using test::root_caller;
using namespace test::linked;

struct Listed {
  std::string name;
  uint64_t ino;
  bool attrs;
};
std::vector<Listed> list(MountTree& t, uint64_t dir, bool plus) {
  std::vector<Listed> out;
  REQUIRE(
      t.readdir(dir, 0, plus, [&](std::string_view n, const struct stat& st, uint64_t, bool attrs) {
        if (n != "." && n != "..") out.push_back({std::string(n), st.st_ino, attrs});
        return true;
      }) == 0);
  return out;
}

TEST_CASE("MountTree: a link shows the linked volume's tree, under numbers above 2^63") {
  FsHarness h;
  Shared s;
  fill(h.store, s, "a.txt", "in the share");
  uint64_t link = make_link(h, s.link());
  h.create(kRoot, "home.txt");
  TestOpener opener(h.store);
  MountTree t(*h.fs, &opener);

  EntryOut home;
  REQUIRE(t.lookup(kRoot, "home.txt", &home) == 0);
  CHECK(home.ino < kHigh);  // the home volume's own numbers
  CHECK(opener.opened == 0);

  EntryOut proj;
  REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
  CHECK(proj.ino == link);  // the link's number stands for the linked root
  CHECK(S_ISDIR(proj.attr.st_mode));
  CHECK(proj.attr.st_ino == link);
  CHECK(opener.opened == 1);
  CHECK(opener.started_n == 1);
  CHECK(t.linked_volumes() == 1);

  EntryOut a;
  REQUIRE(t.lookup(proj.ino, "a.txt", &a) == 0);
  CHECK(a.ino >= kHigh);
  CHECK(a.attr.st_ino == a.ino);
  CHECK(read_all(t, a.ino) == "in the share");
  struct stat st;
  REQUIRE(t.getattr(a.ino, &st) == 0);
  CHECK(st.st_ino == a.ino);
  CHECK(st.st_size == 12);
  REQUIRE(t.getattr(proj.ino, &st) == 0);
  CHECK(st.st_ino == proj.ino);

  // "." below the link is the link again.
  EntryOut dot;
  REQUIRE(t.lookup(proj.ino, ".", &dot) == 0);
  CHECK(dot.ino == proj.ino);

  // A plain listing gives the same numbers a lookup gives.
  auto names = list(t, proj.ino, false);
  REQUIRE(names.size() == 1);
  CHECK(names[0].name == "a.txt");
  CHECK(names[0].ino == a.ino);

  CHECK(t.close().ok());
  CHECK(opener.closed_n == 1);
  CHECK(t.getattr(a.ino, &st) == EIO);  // a closed volume answers EIO, never the home one
}

TEST_CASE("MountTree: what is written below a link is the linked volume's, and stays there") {
  FsHarness h;
  Shared s;
  make_link(h, s.link());
  TestOpener opener(h.store);
  {
    MountTree t(*h.fs, &opener);
    EntryOut proj, f, d;
    REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
    REQUIRE(t.mkdir(root_caller(), proj.ino, "sub", 0755, &d) == 0);
    CHECK(d.ino >= kHigh);
    REQUIRE(t.create(root_caller(), d.ino, "new.txt", 0644, O_RDWR, &f) == 0);
    CHECK(f.ino >= kHigh);
    REQUIRE(t.write(f.ino, 0, to_bytes("written through the mount")) == 25);
    REQUIRE(t.release(f.ino) == 0);
    REQUIRE(t.commit(f.ino) == 0);
    // The home volume did not change: one name, the link.
    auto home = list(t, kRoot, false);
    REQUIRE(home.size() == 1);
    CHECK(home[0].name == "proj");
  }
  CHECK(opener.closed_n == 1);
  // Opened again on its own: the file is in the linked volume.
  auto vol = must(Volume::open(h.store, s.keys(), test::test_device()));
  FileSystem::Options o;
  o.statfs_path = "/";
  auto fs = must(FileSystem::open(std::move(vol), o, root_caller()));
  EntryOut sub, f;
  REQUIRE(fs->lookup(kRoot, "sub", &sub) == 0);
  REQUIRE(fs->lookup(sub.ino, "new.txt", &f) == 0);
  Bytes b;
  REQUIRE(fs->read(f.ino, 0, 100, &b) == 0);
  CHECK(std::string(as_chars(b)) == "written through the mount");
  // And the link survives the home volume's reopening.
  h.reopen();
  std::shared_ptr<const Secret> bytes;
  EntryOut again;
  REQUIRE(h.fs->lookup(kRoot, "proj", &again) == 0);
  CHECK(again.link);
  REQUIRE(h.fs->link_of(again.ino, &bytes) == 0);
  CHECK(*bytes == s.link());
}

TEST_CASE("MountTree: rename and hard links across volumes fail with EXDEV") {
  FsHarness h;
  Shared s;
  fill(h.store, s, "a.txt", "x");
  make_link(h, s.link());
  uint64_t home_file = h.create(kRoot, "home.txt");
  TestOpener opener(h.store);
  MountTree t(*h.fs, &opener);
  EntryOut proj, a, out;
  REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
  REQUIRE(t.lookup(proj.ino, "a.txt", &a) == 0);
  CHECK(t.rename(kRoot, "home.txt", proj.ino, "moved.txt", 0) == EXDEV);
  CHECK(t.rename(proj.ino, "a.txt", kRoot, "a.txt", 0) == EXDEV);
  CHECK(t.link(home_file, proj.ino, "hard", &out) == EXDEV);
  CHECK(t.link(a.ino, kRoot, "hard", &out) == EXDEV);
  // Within one volume both work.
  CHECK(t.rename(proj.ino, "a.txt", proj.ino, "b.txt", 0) == 0);
  REQUIRE(t.link(a.ino, proj.ino, "c.txt", &out) == 0);
  CHECK(out.ino == a.ino);
  // rmdir of the link removes the link from the home volume, never the linked volume's files.
  CHECK(t.rmdir(kRoot, "proj") == 0);
  CHECK(h.lookup(kRoot, "proj") == 0);
  CHECK(read_all(t, a.ino) == "x");  // the kernel's reference still reads
}

TEST_CASE(
    "MountTree: a listing with attributes leaves a link to be looked up, and forget drops "
    "what it counted") {
  FsHarness h;
  Shared s;
  fill(h.store, s, "a.txt", "x");
  uint64_t link = make_link(h, s.link());
  uint64_t home_file = h.create(kRoot, "home.txt");
  TestOpener opener(h.store);
  MountTree t(*h.fs, &opener);

  for (auto& e : list(t, kRoot, true)) {
    CAPTURE(e.name);
    if (e.name == "proj") {
      CHECK_FALSE(e.attrs);  // looked up by name, which opens the volume
      CHECK(e.ino == link);
    } else {
      CHECK(e.attrs);
      CHECK(e.ino == home_file);
    }
  }
  CHECK(opener.opened == 0);

  EntryOut proj;
  REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
  auto below = list(t, proj.ino, true);
  REQUIRE(below.size() == 1);
  CHECK(below[0].attrs);
  uint64_t a = below[0].ino;
  CHECK(a >= kHigh);
  struct stat st;
  REQUIRE(t.getattr(a, &st) == 0);
  CHECK(st.st_ino == a);
  // The listing counted one lookup: one forget drops the number.
  t.forget(a, 1);
  CHECK(t.getattr(a, &st) != 0);
  // Forgetting the link stops showing the volume there; a new lookup shows it again.
  t.forget(proj.ino, 1);
  REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
  REQUIRE(t.getattr(proj.ino, &st) == 0);
  CHECK(opener.opened == 1);  // still open: not opened twice
}

TEST_CASE("MountTree: a link that cannot open answers EIO below it, and the rest works") {
  FsHarness h;
  make_link(h, Secret(to_bytes("not a grant")), "bad");
  Shared s;
  fill(h.store, s, "a.txt", "x");
  make_link(h, s.link(), "first");
  make_link(h, s.link(), "second");  // the same volume at a second place
  h.create(kRoot, "home.txt");
  TestOpener opener(h.store);
  MountTree t(*h.fs, &opener);

  EntryOut bad, first, second, home;
  REQUIRE(t.lookup(kRoot, "bad", &bad) == 0);
  struct stat st;
  CHECK(t.getattr(bad.ino, &st) == EIO);
  CHECK(t.opendir(bad.ino) == EIO);
  EntryOut out;
  CHECK(t.mkdir(root_caller(), bad.ino, "x", 0755, &out) == EIO);

  REQUIRE(t.lookup(kRoot, "first", &first) == 0);
  REQUIRE(t.lookup(kRoot, "second", &second) == 0);
  CHECK(t.opendir(first.ino) == 0);
  CHECK(t.opendir(second.ino) == EIO);  // one volume shows at one place
  CHECK(opener.opened == 1);
  REQUIRE(t.lookup(kRoot, "home.txt", &home) == 0);
  CHECK(t.getattr(home.ino, &st) == 0);

  // Without an opener, links answer EIO too.
  MountTree bare(*h.fs, nullptr);
  REQUIRE(bare.lookup(kRoot, "first", &first) == 0);
  CHECK(bare.opendir(first.ino) == EIO);
}

TEST_CASE(
    "MountTree: what another computer changes in a linked volume reaches the kernel in "
    "kernel numbers") {
  FsHarness h;
  Shared s;
  fill(h.store, s, "a.txt", "first");
  make_link(h, s.link());
  TestOpener opener(h.store);
  MountTree t(*h.fs, &opener);
  std::vector<uint64_t> inodes;
  std::vector<std::pair<uint64_t, std::string>> entries;
  t.set_notifier([&](const FileSystem::Invalidation& inv) {
    inodes.insert(inodes.end(), inv.inodes.begin(), inv.inodes.end());
    entries.insert(entries.end(), inv.entries.begin(), inv.entries.end());
  });
  EntryOut proj, a;
  REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
  REQUIRE(t.lookup(proj.ino, "a.txt", &a) == 0);

  // Another device of the volume rewrites a.txt and adds b.txt.
  PublicKey other = SigningKey::generate().public_key();
  auto vol = must(Volume::open(h.store, s.keys(), other));
  FileSystem::Options o;
  o.statfs_path = "/";
  auto fs2 = must(FileSystem::open(std::move(vol), o, root_caller()));
  EntryOut a2, b2;
  REQUIRE(fs2->lookup(kRoot, "a.txt", &a2) == 0);
  REQUIRE(fs2->write(a2.ino, 0, to_bytes("second")) == 6);
  REQUIRE(fs2->create(root_caller(), kRoot, "b.txt", 0644, O_RDWR, &b2) == 0);
  REQUIRE(fs2->release(b2.ino) == 0);
  REQUIRE(fs2->commit() == 0);

  REQUIRE(opener.last != nullptr);
  REQUIRE(opener.last->sync() == 0);
  CHECK(std::find(inodes.begin(), inodes.end(), a.ino) != inodes.end());
  CHECK(std::find(entries.begin(), entries.end(),
                  std::pair<uint64_t, std::string>(proj.ino, "b.txt")) != entries.end());
  for (uint64_t ino : inodes) CHECK((ino == proj.ino || ino >= kHigh));
  CHECK(read_all(t, a.ino) == "second");
  t.set_notifier(nullptr);
}

TEST_CASE(
    "MountTree: below a read-only link every change fails with EROFS, and reads follow "
    "the writers") {
  FsHarness h;
  Shared s;
  fill(h.store, s, "a.txt", "first");
  make_link(h, s.link("proj", false));
  TestOpener opener(h.store);
  MountTree t(*h.fs, &opener);
  EntryOut proj, a, out;
  REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
  REQUIRE(t.lookup(proj.ino, "a.txt", &a) == 0);
  CHECK(read_all(t, a.ino) == "first");
  CHECK(t.open(a.ino, O_RDONLY) == 0);
  CHECK(t.release(a.ino) == 0);
  CHECK(t.open(a.ino, O_RDWR) == EROFS);
  CHECK(t.open(a.ino, O_RDONLY | O_TRUNC) == EROFS);
  CHECK(t.write(a.ino, 0, to_bytes("x")) == -EROFS);
  CHECK(t.create(root_caller(), proj.ino, "new", 0644, O_RDWR, &out) == EROFS);
  CHECK(t.mkdir(root_caller(), proj.ino, "d", 0755, &out) == EROFS);
  CHECK(t.symlink(root_caller(), "x", proj.ino, "l", &out) == EROFS);
  CHECK(t.mknod(root_caller(), proj.ino, "f", S_IFIFO | 0644, 0, &out) == EROFS);
  CHECK(t.unlink(proj.ino, "a.txt") == EROFS);
  CHECK(t.rename(proj.ino, "a.txt", proj.ino, "b.txt", 0) == EROFS);
  CHECK(t.link(a.ino, proj.ino, "hard", &out) == EROFS);
  struct stat st {};
  CHECK(t.setattr(a.ino, st, FUSE_SET_ATTR_MODE, &st) == EROFS);
  CHECK(t.setattr(proj.ino, st, FUSE_SET_ATTR_MODE, &st) == EROFS);
  CHECK(t.setxattr(a.ino, "user.x", to_bytes("v"), 0) == EROFS);
  CHECK(t.removexattr(a.ino, "user.x") == EROFS);
  CHECK(t.fallocate(a.ino, 0, 0, 10) == EROFS);
  CHECK(read_all(t, a.ino) == "first");

  // A writer changes it; the reader's sync takes the change (never commits itself).
  auto vol = must(Volume::open(h.store, s.keys(), SigningKey::generate().public_key()));
  FileSystem::Options o;
  o.statfs_path = "/";
  auto writer = must(FileSystem::open(std::move(vol), o, root_caller()));
  EntryOut wa;
  REQUIRE(writer->lookup(kRoot, "a.txt", &wa) == 0);
  REQUIRE(writer->write(wa.ino, 0, to_bytes("second")) == 6);
  REQUIRE(writer->commit() == 0);
  REQUIRE(opener.last != nullptr);
  REQUIRE(opener.last->sync() == 0);
  CHECK(read_all(t, a.ino) == "second");
  CHECK(opener.last->volume().commits() == 0);
  // The link itself can still go (leaving the share is a change of the home volume).
  CHECK(t.rmdir(kRoot, "proj") == 0);
}

}  // namespace
}  // namespace peerstore

namespace peerstore {
namespace {

// A new, empty volume with the keys of `s`, in `store`.
std::unique_ptr<FileSystem> empty_volume(LocalStore& store, const Shared& s) {
  auto vol = must(Volume::open(store, s.keys(), test::test_device()));
  FileSystem::Options o;
  o.statfs_path = "/";
  return must(FileSystem::open(std::move(vol), o, root_caller()));
}

TEST_CASE("split_into: a folder becomes a volume of its own, and the mount shows the same tree") {
  FsHarness h;
  uint64_t proj = h.mkdir(kRoot, "proj", 0750);
  uint64_t sub = h.mkdir(proj, "sub");
  uint64_t f = h.create(sub, "deep.txt");
  h.write(f, 0, std::string("deep content"));
  uint64_t big = h.create(proj, "big.bin");
  h.write(big, 0, test::pattern(200 << 10, 7));
  uint64_t a = h.create(proj, "a");
  EntryOut hard;
  REQUIRE(h.fs->link(a, sub, "a-again", &hard) == 0);  // a hard link inside the folder
  h.fs->forget(a, 1);
  h.create(kRoot, "outside.txt");
  REQUIRE(h.fs->commit() == 0);

  Shared s;
  auto into = empty_volume(h.store, s);
  uint64_t link = 0;
  std::string named;
  REQUIRE(h.fs->split_into(
              proj, *into,
              [&](std::string_view folder) -> Result<Secret> {
                named = std::string(folder);
                return s.link(named);
              },
              &link) == 0);
  CHECK(named == "proj");
  CHECK(link != proj);
  std::string where;
  struct stat lst;
  CHECK(h.fs->getattr(link, &lst) == 0);
  CHECK(h.fs->path_of_dir(link, &where) == 0);
  CHECK(where == "/proj");
  into.reset();

  // The home volume holds the link and nothing of the folder.
  h.reopen();
  EntryOut l;
  REQUIRE(h.fs->lookup(kRoot, "proj", &l) == 0);
  CHECK(l.link);
  CHECK((l.attr.st_mode & 07777) == 0750);
  h.fs->forget(l.ino, 1);
  struct stat st;
  CHECK(h.fs->getattr(sub, &st) == ENOENT);
  CHECK(h.fs->getattr(f, &st) == ENOENT);
  CHECK(h.lookup(kRoot, "outside.txt") != 0);

  // Through the mount, the same tree, the same content, the same inodes below.
  TestOpener opener(h.store);
  MountTree t(*h.fs, &opener);
  EntryOut p, sd, df, bg, aa, ab;
  REQUIRE(t.lookup(kRoot, "proj", &p) == 0);
  CHECK(S_ISDIR(p.attr.st_mode));
  CHECK((p.attr.st_mode & 07777) == 0750);
  REQUIRE(t.lookup(p.ino, "sub", &sd) == 0);
  REQUIRE(t.lookup(sd.ino, "deep.txt", &df) == 0);
  CHECK(read_all(t, df.ino) == "deep content");
  REQUIRE(t.lookup(p.ino, "big.bin", &bg) == 0);
  Bytes b;
  REQUIRE(t.read(bg.ino, 0, 300 << 10, &b) == 0);
  CHECK(b == test::pattern(200 << 10, 7));
  REQUIRE(t.lookup(p.ino, "a", &aa) == 0);
  REQUIRE(t.lookup(sd.ino, "a-again", &ab) == 0);
  CHECK(aa.ino == ab.ino);
  CHECK(aa.attr.st_nlink == 2);
  // ".." of a top-level entry is the link.
  EntryOut up;
  REQUIRE(t.lookup(sd.ino, "..", &up) == 0);
  CHECK(up.ino == p.ino);
  // And it goes on working: a new file below the link lands in the new volume.
  EntryOut n;
  REQUIRE(t.create(root_caller(), sd.ino, "new.txt", 0644, O_RDWR, &n) == 0);
  REQUIRE(t.write(n.ino, 0, to_bytes("new")) == 3);
  REQUIRE(t.release(n.ino) == 0);
  REQUIRE(t.commit() == 0);
}

TEST_CASE("split_into: refused for the root, a file, open files, hard links out, links inside") {
  FsHarness h;
  uint64_t proj = h.mkdir(kRoot, "proj");
  uint64_t f = h.create(proj, "f");
  uint64_t file = h.create(kRoot, "plain.txt");
  REQUIRE(h.fs->commit() == 0);
  Shared s;
  auto make = [&](std::string_view folder) -> Result<Secret> {
    return s.link(std::string(folder));
  };
  uint64_t link = 0;
  auto try_split = [&](uint64_t dir) {
    auto into = empty_volume(h.store, s);
    return h.fs->split_into(dir, *into, make, &link);
  };
  CHECK(try_split(kRoot) == EINVAL);
  CHECK(try_split(file) == ENOTDIR);
  REQUIRE(h.fs->open(f, O_RDONLY) == 0);
  CHECK(try_split(proj) == EBUSY);
  REQUIRE(h.fs->release(f) == 0);
  EntryOut out;
  REQUIRE(h.fs->link(f, kRoot, "f-outside", &out) == 0);
  h.fs->forget(f, 1);
  CHECK(try_split(proj) == EXDEV);
  REQUIRE(h.fs->unlink(kRoot, "f-outside") == 0);
  Shared other;
  EntryOut inner;
  REQUIRE(h.fs->make_link(root_caller(), proj, "inner", other.link("inner"), &inner) == 0);
  h.fs->forget(inner.ino, 1);
  CHECK(try_split(proj) == EEXIST);
  CHECK(try_split(inner.ino) == EEXIST);  // a link is a volume already
  // Nothing changed: the folder is still a folder of the home volume, with its files.
  CHECK(h.lookup(proj, "f") == f);
  CHECK(h.list(proj).size() == 2);
}

}  // namespace
}  // namespace peerstore
