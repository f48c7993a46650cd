// The namespace through FileSystem: names, links, renames and the errnos POSIX (and ext4)
// give for each misuse. Link counts are checked throughout because `find`, `du`, `rsync -H`
// and backup tools rely on them.
#include <doctest/doctest.h>

#include <cstdio>

#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;

nlink_t links(FsHarness& h, uint64_t ino) { return h.stat(ino).st_nlink; }

TEST_CASE("FileSystem: a new volume has an empty root directory") {
  FsHarness h;
  struct stat st = h.stat(kRoot);
  CHECK(S_ISDIR(st.st_mode));
  CHECK(st.st_nlink == 2);
  CHECK(st.st_ino == kRoot);
  CHECK(h.list(kRoot).empty());
  EntryOut e;
  REQUIRE(h.fs->lookup(kRoot, "..", &e) == 0);
  CHECK(e.ino == kRoot);
}

TEST_CASE("FileSystem: create, lookup and the errors of bad names") {
  FsHarness h;
  uint64_t f = h.create(kRoot, "file", 0640);
  struct stat st = h.stat(f);
  CHECK(S_ISREG(st.st_mode));
  CHECK((st.st_mode & 07777) == 0640);
  CHECK(st.st_nlink == 1);
  CHECK(h.lookup(kRoot, "file") == f);
  CHECK(h.lookup(kRoot, "File") == 0);

  EntryOut e;
  Caller c = root_caller();
  CHECK(h.fs->create(c, kRoot, "file", 0644, 0, &e) == EEXIST);
  CHECK(h.fs->mkdir(c, kRoot, "file", 0755, &e) == EEXIST);
  for (const char* bad : {"", ".", "..", "a/b"}) {
    CAPTURE(bad);
    CHECK(h.fs->create(c, kRoot, bad, 0644, 0, &e) == EINVAL);
  }
  std::string longest(NAME_MAX, 'n'), too_long(NAME_MAX + 1, 'n');
  CHECK(h.fs->create(c, kRoot, longest, 0644, 0, &e) == 0);
  CHECK(h.fs->create(c, kRoot, too_long, 0644, 0, &e) == ENAMETOOLONG);
  CHECK(h.fs->lookup(kRoot, too_long, &e) == ENAMETOOLONG);
  CHECK(h.fs->lookup(f, "x", &e) == ENOTDIR);
  CHECK(h.fs->create(c, f, "x", 0644, 0, &e) == ENOTDIR);
  CHECK(h.fs->lookup(123456789, "x", &e) == ENOENT);
}

TEST_CASE("FileSystem: directory link counts follow subdirectories") {
  FsHarness h;
  uint64_t a = h.mkdir(kRoot, "a");
  CHECK(links(h, kRoot) == 3);
  CHECK(links(h, a) == 2);
  uint64_t b = h.mkdir(a, "b");
  h.create(a, "file");  // files do not add links to their directory
  CHECK(links(h, a) == 3);
  EntryOut e;
  REQUIRE(h.fs->lookup(b, "..", &e) == 0);
  CHECK(e.ino == a);
  REQUIRE(h.fs->rmdir(a, "b") == 0);
  CHECK(links(h, a) == 2);
  CHECK(links(h, b) == 0);  // still referenced by the kernel, but gone
}

TEST_CASE("FileSystem: unlink and rmdir errors") {
  FsHarness h;
  uint64_t d = h.mkdir(kRoot, "d");
  h.create(d, "f");
  h.create(kRoot, "file");
  CHECK(h.fs->unlink(kRoot, "d") == EISDIR);
  CHECK(h.fs->rmdir(kRoot, "file") == ENOTDIR);
  CHECK(h.fs->rmdir(kRoot, "d") == ENOTEMPTY);
  CHECK(h.fs->unlink(kRoot, "missing") == ENOENT);
  CHECK(h.fs->rmdir(kRoot, "missing") == ENOENT);
  CHECK(h.fs->rmdir(kRoot, ".") == EINVAL);
  CHECK(h.fs->rmdir(d, "..") == ENOTEMPTY);
  uint64_t f = h.lookup(kRoot, "file");
  CHECK(h.fs->unlink(f, "x") == ENOTDIR);
  REQUIRE(h.fs->unlink(d, "f") == 0);
  REQUIRE(h.fs->rmdir(kRoot, "d") == 0);
  CHECK(h.lookup(kRoot, "d") == 0);
  CHECK(links(h, kRoot) == 2);
}

TEST_CASE("FileSystem: nothing can be created in a removed directory") {
  FsHarness h;
  uint64_t d = h.mkdir(kRoot, "d");
  REQUIRE(h.fs->rmdir(kRoot, "d") == 0);
  EntryOut e;
  CHECK(h.fs->create(root_caller(), d, "f", 0644, 0, &e) == ENOENT);
  CHECK(h.fs->mkdir(root_caller(), d, "sub", 0755, &e) == ENOENT);
}

TEST_CASE("FileSystem: hard links share the inode and count") {
  FsHarness h;
  uint64_t f = h.create(kRoot, "f");
  h.write(f, 0, "shared");
  uint64_t d = h.mkdir(kRoot, "d");
  EntryOut e;
  REQUIRE(h.fs->link(f, d, "g", &e) == 0);
  CHECK(e.ino == f);
  CHECK(e.attr.st_nlink == 2);
  CHECK(h.lookup(d, "g") == f);
  CHECK(h.fs->link(f, d, "g", &e) == EEXIST);
  CHECK(h.fs->link(d, kRoot, "dirlink", &e) == EPERM);  // no hard links to directories
  CHECK(h.fs->link(f, f, "x", &e) == ENOTDIR);

  REQUIRE(h.fs->unlink(kRoot, "f") == 0);
  CHECK(links(h, f) == 1);
  CHECK(h.read_all(h.lookup(d, "g")) == to_bytes("shared"));
  REQUIRE(h.fs->unlink(d, "g") == 0);
  CHECK(links(h, f) == 0);
  CHECK(h.fs->link(f, kRoot, "again", &e) == ENOENT);  // cannot resurrect
}

TEST_CASE("FileSystem: symlinks") {
  FsHarness h;
  uint64_t l = h.symlink(kRoot, "l", "../some/where");
  struct stat st = h.stat(l);
  CHECK(S_ISLNK(st.st_mode));
  CHECK(st.st_size == 13);
  std::string target;
  REQUIRE(h.fs->readlink(l, &target) == 0);
  CHECK(target == "../some/where");
  uint64_t f = h.create(kRoot, "f");
  CHECK(h.fs->readlink(f, &target) == EINVAL);
  EntryOut e;
  CHECK(h.fs->symlink(root_caller(), std::string(PATH_MAX, 'x'), kRoot, "long", &e) == ENAMETOOLONG);
  CHECK(h.fs->symlink(root_caller(), "t", kRoot, "l", &e) == EEXIST);
}

TEST_CASE("FileSystem: rename within and across directories") {
  FsHarness h;
  uint64_t a = h.mkdir(kRoot, "a");
  uint64_t b = h.mkdir(kRoot, "b");
  uint64_t f = h.create(a, "f");
  REQUIRE(h.fs->rename(a, "f", a, "g", 0) == 0);
  CHECK(h.lookup(a, "f") == 0);
  CHECK(h.lookup(a, "g") == f);
  REQUIRE(h.fs->rename(a, "g", b, "h", 0) == 0);
  CHECK(h.list(a).empty());
  CHECK(h.lookup(b, "h") == f);

  // A directory moving across parents takes a link from the old parent to the new, and its
  // ".." follows.
  uint64_t sub = h.mkdir(a, "sub");
  CHECK(links(h, a) == 3);
  REQUIRE(h.fs->rename(a, "sub", b, "sub2", 0) == 0);
  CHECK(links(h, a) == 2);
  CHECK(links(h, b) == 3);
  EntryOut e;
  REQUIRE(h.fs->lookup(sub, "..", &e) == 0);
  CHECK(e.ino == b);

  CHECK(h.fs->rename(a, "missing", b, "x", 0) == ENOENT);
  CHECK(h.fs->rename(f, "x", b, "y", 0) == ENOTDIR);
  CHECK(h.fs->rename(b, "h", f, "y", 0) == ENOTDIR);
  CHECK(h.fs->rename(b, "h", b, std::string(NAME_MAX + 1, 'x'), 0) == ENAMETOOLONG);
  CHECK(h.fs->rename(b, "h", b, "i", 1u << 7) == EINVAL);  // unknown flag
  CHECK(h.fs->rename(b, "h", b, "i", RENAME_NOREPLACE | RENAME_EXCHANGE) == EINVAL);
}

TEST_CASE("FileSystem: rename over an existing name") {
  FsHarness h;
  uint64_t f = h.create(kRoot, "f");
  h.write(f, 0, "new");
  uint64_t old = h.create(kRoot, "old");
  h.write(old, 0, "old content");

  // RENAME_NOREPLACE refuses and changes nothing.
  CHECK(h.fs->rename(kRoot, "f", kRoot, "old", RENAME_NOREPLACE) == EEXIST);
  CHECK(h.lookup(kRoot, "f") == f);
  CHECK(h.lookup(kRoot, "old") == old);

  // A plain rename replaces the file: the old inode loses its last link.
  REQUIRE(h.fs->rename(kRoot, "f", kRoot, "old", 0) == 0);
  CHECK(h.lookup(kRoot, "old") == f);
  CHECK(h.lookup(kRoot, "f") == 0);
  CHECK(links(h, old) == 0);
  CHECK(h.list(kRoot) == std::vector<std::string>{"old"});

  // Directories: over an empty one is fine, over a non-empty one is not; file/dir mismatches.
  uint64_t d1 = h.mkdir(kRoot, "d1");
  uint64_t d2 = h.mkdir(kRoot, "d2");
  uint64_t full = h.mkdir(kRoot, "full");
  h.create(full, "x");
  CHECK(h.fs->rename(kRoot, "d1", kRoot, "full", 0) == ENOTEMPTY);
  CHECK(h.fs->rename(kRoot, "d1", kRoot, "old", 0) == ENOTDIR);
  CHECK(h.fs->rename(kRoot, "old", kRoot, "d1", 0) == EISDIR);
  CHECK(links(h, kRoot) == 5);
  REQUIRE(h.fs->rename(kRoot, "d1", kRoot, "d2", 0) == 0);
  CHECK(h.lookup(kRoot, "d2") == d1);
  CHECK(links(h, d2) == 0);
  CHECK(links(h, kRoot) == 4);

  // A directory replacing an empty directory in another parent.
  uint64_t p = h.mkdir(kRoot, "p");
  h.mkdir(p, "target");
  REQUIRE(h.fs->rename(kRoot, "d2", p, "target", 0) == 0);
  CHECK(links(h, p) == 3);
  CHECK(links(h, kRoot) == 4);  // lost d2, gained p
  CHECK(h.lookup(p, "target") == d1);
}

TEST_CASE("FileSystem: renaming one hard link onto another does nothing") {
  FsHarness h;
  uint64_t f = h.create(kRoot, "a");
  EntryOut e;
  REQUIRE(h.fs->link(f, kRoot, "b", &e) == 0);
  REQUIRE(h.fs->rename(kRoot, "a", kRoot, "b", 0) == 0);
  CHECK(h.lookup(kRoot, "a") == f);  // POSIX: both names stay
  CHECK(h.lookup(kRoot, "b") == f);
  CHECK(links(h, f) == 2);
  REQUIRE(h.fs->rename(kRoot, "a", kRoot, "a", 0) == 0);
  CHECK(h.lookup(kRoot, "a") == f);
}

TEST_CASE("FileSystem: a directory cannot move under itself") {
  FsHarness h;
  uint64_t a = h.mkdir(kRoot, "a");
  uint64_t b = h.mkdir(a, "b");
  uint64_t c = h.mkdir(b, "c");
  CHECK(h.fs->rename(kRoot, "a", c, "a", 0) == EINVAL);
  CHECK(h.fs->rename(kRoot, "a", a, "self", 0) == EINVAL);
  CHECK(h.fs->rename(a, "b", c, "b", 0) == EINVAL);
  h.create(b, "x");
  CHECK(h.fs->rename(kRoot, "a", b, "x", RENAME_EXCHANGE) == EINVAL);  // a would land in b
  CHECK(h.fs->rename(b, "x", kRoot, "a", RENAME_EXCHANGE) == EINVAL);  // the same, seen from b
  // Nothing moved.
  CHECK(h.lookup(kRoot, "a") == a);
  CHECK(h.lookup(a, "b") == b);
  CHECK(h.lookup(b, "c") == c);
  // Moving up is fine.
  REQUIRE(h.fs->rename(b, "c", kRoot, "c", 0) == 0);
  CHECK(h.lookup(kRoot, "c") == c);
}

TEST_CASE("FileSystem: RENAME_EXCHANGE swaps two names atomically") {
  FsHarness h;
  uint64_t a = h.mkdir(kRoot, "a");
  uint64_t b = h.mkdir(kRoot, "b");
  uint64_t f = h.create(a, "f");
  uint64_t d = h.mkdir(b, "d");
  CHECK(links(h, a) == 2);
  CHECK(links(h, b) == 3);

  REQUIRE(h.fs->rename(a, "f", b, "d", RENAME_EXCHANGE) == 0);
  CHECK(h.lookup(a, "f") == d);
  CHECK(h.lookup(b, "d") == f);
  // The directory moved from b to a: one link moves with it, and its ".." follows.
  CHECK(links(h, a) == 3);
  CHECK(links(h, b) == 2);
  EntryOut e;
  REQUIRE(h.fs->lookup(d, "..", &e) == 0);
  CHECK(e.ino == a);
  CHECK(links(h, f) == 1);
  CHECK(links(h, d) == 2);

  // Same directory, two files.
  uint64_t x = h.create(kRoot, "x"), y = h.create(kRoot, "y");
  REQUIRE(h.fs->rename(kRoot, "x", kRoot, "y", RENAME_EXCHANGE) == 0);
  CHECK(h.lookup(kRoot, "x") == y);
  CHECK(h.lookup(kRoot, "y") == x);

  CHECK(h.fs->rename(kRoot, "x", kRoot, "missing", RENAME_EXCHANGE) == ENOENT);
  CHECK(h.lookup(kRoot, "x") == y);

  h.reopen();
  CHECK(h.lookup(a, "f") == d);
  CHECK(h.lookup(b, "d") == f);
  CHECK(links(h, a) == 3);
  CHECK(links(h, b) == 2);
}

TEST_CASE("FileSystem: setattr") {
  FsHarness h;
  uint64_t f = h.create(kRoot, "f", 04755);
  struct stat in {}, out {};
  in.st_mode = 0600;
  REQUIRE(h.fs->setattr(f, in, FUSE_SET_ATTR_MODE, &out) == 0);
  CHECK(out.st_mode == (S_IFREG | 0600));

  in.st_mode = 06755;
  REQUIRE(h.fs->setattr(f, in, FUSE_SET_ATTR_MODE, &out) == 0);
  in.st_uid = 1000;
  in.st_gid = 100;
  REQUIRE(h.fs->setattr(f, in, FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID, &out) == 0);
  CHECK(out.st_uid == 1000);
  CHECK(out.st_gid == 100);
  CHECK((out.st_mode & 07777) == 0755);  // chown of an executable drops set-user and set-group

  in.st_atim = {1000, 5};
  in.st_mtim = {2000, 6};
  REQUIRE(h.fs->setattr(f, in, FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME, &out) == 0);
  CHECK(out.st_atim.tv_sec == 1000);
  CHECK(out.st_atim.tv_nsec == 5);
  CHECK(out.st_mtim.tv_sec == 2000);
  CHECK(out.st_ctim.tv_sec > 2000);  // ctime is now

  h.reopen();
  struct stat st = h.stat(f);
  CHECK(st.st_mode == (S_IFREG | 0755));
  CHECK(st.st_uid == 1000);
  CHECK(st.st_mtim.tv_sec == 2000);
  CHECK(st.st_mtim.tv_nsec == 6);
}

}  // namespace
}  // namespace peerstore
