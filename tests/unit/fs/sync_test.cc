// Live sync between computers of one user (FileSystem::sync over a network-like store): a
// descendant head fast-forwards, concurrent heads merge by the rules of DESIGN.md §4, every
// computer ends at the byte-identical tree, and the kernel is told what changed.
#include <doctest/doctest.h>
#include <sys/xattr.h>

#include "sync_harness.h"

namespace peerstore {
namespace {

using namespace test;

bool has_conflict_copy(Computer& c, uint64_t dir, const std::string& stem) {
  for (auto& n : c.list(dir))
    if (n.rfind(stem + ".conflict-", 0) == 0) return true;
  return false;
}

TEST_CASE("sync: a change on one computer reaches the other without a remount") {
  NetworkLikeStore net;
  Computer a(net, 1);
  Computer b(net, 2);
  uint64_t d = a.mkdir(kRoot, "docs");
  uint64_t f = a.create(d, "note.txt");
  a.write(f, 0, std::string("hello"));
  REQUIRE(a.fs->commit() == 0);

  std::vector<FileSystem::Invalidation> told;
  b.list(kRoot);  // the kernel knows the root
  b.fs->set_notifier([&](const FileSystem::Invalidation& inv) { told.push_back(inv); });
  b.sync();
  CHECK(b.fs->sync_stats().fast_forwards == 1);
  uint64_t bd = b.lookup(kRoot, "docs");
  REQUIRE(bd == d);
  CHECK(b.read_text(b.lookup(bd, "note.txt")) == "hello");
  REQUIRE(told.size() == 1);
  bool root_entry = false;
  for (auto& [dir, name] : told[0].entries) root_entry |= dir == kRoot && name == "docs";
  CHECK(root_entry);

  // Overwrite, rename, chmod, xattr, symlink, hard link, delete: all arrive.
  a.truncate(f, 0);
  a.write(f, 0, std::string("second"));
  REQUIRE(a.fs->rename(d, "note.txt", kRoot, "moved.txt", 0) == 0);
  struct stat in {
  }, out{};
  in.st_mode = 0600;
  REQUIRE(a.fs->setattr(f, in, FUSE_SET_ATTR_MODE, &out) == 0);
  REQUIRE(a.fs->setxattr(f, "user.tag", to_bytes(std::string("x")), 0) == 0);
  a.symlink(kRoot, "link", "moved.txt");
  EntryOut e;
  REQUIRE(a.fs->link(f, d, "hard", &e) == 0);
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  uint64_t moved = b.lookup(kRoot, "moved.txt");
  REQUIRE(moved == f);
  CHECK(b.lookup(bd, "note.txt") == 0);
  CHECK(b.read_text(moved) == "second");
  CHECK((b.stat(moved).st_mode & 07777) == 0600);
  CHECK(b.stat(moved).st_nlink == 2);
  CHECK(b.lookup(bd, "hard") == f);
  std::string target;
  REQUIRE(b.fs->readlink(b.lookup(kRoot, "link"), &target) == 0);
  CHECK(target == "moved.txt");
  size_t size = 0;
  Bytes v;
  REQUIRE(b.fs->getxattr(moved, "user.tag", 16, &v, &size) == 0);
  CHECK(v == to_bytes(std::string("x")));

  REQUIRE(a.fs->unlink(kRoot, "moved.txt") == 0);
  REQUIRE(a.fs->unlink(d, "hard") == 0);
  REQUIRE(a.fs->rmdir(kRoot, "docs") == 0);
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  CHECK(b.lookup(kRoot, "moved.txt") == 0);
  CHECK(b.lookup(kRoot, "docs") == 0);
  CHECK(b.table() == a.table());
  b.check_tree();
}

TEST_CASE("sync: concurrent creates in one directory all survive, on every computer") {
  NetworkLikeStore net;
  Computer a(net, 1), b(net, 2), c(net, 3);
  uint64_t d = a.mkdir(kRoot, "shared");
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  c.sync();
  for (int i = 0; i < 100; ++i) {
    a.write(a.create(d, "a-" + std::to_string(i)), 0, "from a " + std::to_string(i));
    b.write(b.create(d, "b-" + std::to_string(i)), 0, "from b " + std::to_string(i));
    if (i % 2 == 0) c.write(c.create(d, "c-" + std::to_string(i)), 0, std::string("c"));
  }
  REQUIRE(a.fs->commit() == 0);
  REQUIRE(b.fs->commit() == 0);
  REQUIRE(c.fs->commit() == 0);
  converge({&a, &b, &c});
  for (Computer* x : {&a, &b, &c}) {
    CHECK(x->list(d).size() == 250);
    CHECK(x->read_text(x->lookup(d, "b-7")) == "from b 7");
    CHECK(x->read_text(x->lookup(d, "a-99")) == "from a 99");
    CHECK(x->check_tree().size() == 250);
    CHECK(x->fs->sync_stats().conflicts == 0);
  }
}

TEST_CASE("sync: the same file changed on both sides keeps both versions") {
  NetworkLikeStore net;
  Computer a(net, 1), b(net, 2);
  uint64_t f = a.create(kRoot, "report.txt");
  a.write(f, 0, std::string("base"));
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  a.truncate(f, 0);
  a.write(f, 0, std::string("from a"));
  REQUIRE(a.fs->commit() == 0);
  b.truncate(f, 0);
  b.write(f, 0, std::string("from b"));
  REQUIRE(b.fs->commit() == 0);
  converge({&a, &b});
  for (Computer* x : {&a, &b}) {
    auto names = x->list(kRoot);
    REQUIRE(names.size() == 2);
    CHECK(has_conflict_copy(*x, kRoot, "report"));
    std::set<std::string> contents;
    for (auto& n : names) contents.insert(x->read_text(x->lookup(kRoot, n)));
    CHECK(contents == std::set<std::string>{"from a", "from b"});
    for (auto& n : names)
      if (n != "report.txt") CHECK(n.size() > 11), CHECK(n.substr(n.size() - 4) == ".txt");
  }
  CHECK(a.fs->sync_stats().conflicts + b.fs->sync_stats().conflicts >= 1);
}

TEST_CASE("sync: delete against modify keeps the file; rename against edit keeps both changes") {
  NetworkLikeStore net;
  Computer a(net, 1), b(net, 2);
  uint64_t d = a.mkdir(kRoot, "d");
  uint64_t f = a.create(d, "keep.txt");
  uint64_t g = a.create(kRoot, "g.txt");
  a.write(f, 0, std::string("v1"));
  a.write(g, 0, std::string("g1"));
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  // a: rm -rf d, and mv g.txt h.txt; b: edit d/keep.txt, edit g.txt.
  REQUIRE(a.fs->unlink(d, "keep.txt") == 0);
  REQUIRE(a.fs->rmdir(kRoot, "d") == 0);
  REQUIRE(a.fs->rename(kRoot, "g.txt", kRoot, "h.txt", 0) == 0);
  REQUIRE(a.fs->commit() == 0);
  b.write(f, 0, std::string("v2"));
  b.write(g, 0, std::string("g2"));
  REQUIRE(b.fs->commit() == 0);
  converge({&a, &b});
  for (Computer* x : {&a, &b}) {
    uint64_t xd = x->lookup(kRoot, "d");
    REQUIRE(xd != 0);
    uint64_t xf = x->lookup(xd, "keep.txt");
    REQUIRE(xf == f);
    CHECK(x->read_text(xf) == "v2");
    CHECK(x->lookup(kRoot, "g.txt") == 0);
    REQUIRE(x->lookup(kRoot, "h.txt") == g);
    CHECK(x->read_text(g) == "g2");
    x->check_tree();
  }
}

TEST_CASE("sync: crossed directory moves (mv a b/ here, mv b a/ there) leave no cycle") {
  NetworkLikeStore net;
  Computer a(net, 1), b(net, 2);
  uint64_t da = a.mkdir(kRoot, "a");
  uint64_t db = a.mkdir(kRoot, "b");
  a.write(a.create(da, "in-a"), 0, std::string("1"));
  a.write(a.create(db, "in-b"), 0, std::string("2"));
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  REQUIRE(a.fs->rename(kRoot, "a", db, "a", 0) == 0);
  REQUIRE(a.fs->commit() == 0);
  REQUIRE(b.fs->rename(kRoot, "b", da, "b", 0) == 0);
  REQUIRE(b.fs->commit() == 0);
  converge({&a, &b});
  for (Computer* x : {&a, &b}) {
    auto files = x->check_tree();  // walks from the root: both directories are reachable
    CHECK(files.size() == 2);
    bool found_a = false, found_b = false;
    for (auto& p : files) {
      found_a |= p.size() >= 5 && p.substr(p.size() - 5) == "/in-a";
      found_b |= p.size() >= 5 && p.substr(p.size() - 5) == "/in-b";
    }
    CHECK(found_a);
    CHECK(found_b);
  }
}

TEST_CASE("sync: both sides make the same name; metadata merges per field; links stay links") {
  NetworkLikeStore net;
  Computer a(net, 1), b(net, 2);
  uint64_t f = a.create(kRoot, "f");
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  uint64_t ad = a.mkdir(kRoot, "new");
  a.write(a.create(ad, "x"), 0, std::string("ax"));
  uint64_t bd = b.mkdir(kRoot, "new");
  b.write(b.create(bd, "y"), 0, std::string("by"));
  struct stat in {
  }, out{};
  in.st_mode = 0600;
  REQUIRE(a.fs->setattr(f, in, FUSE_SET_ATTR_MODE, &out) == 0);
  REQUIRE(b.fs->setxattr(f, "user.k", to_bytes(std::string("v")), 0) == 0);
  EntryOut e;
  REQUIRE(b.fs->link(f, kRoot, "f2", &e) == 0);
  REQUIRE(a.fs->commit() == 0);
  REQUIRE(b.fs->commit() == 0);
  converge({&a, &b});
  for (Computer* x : {&a, &b}) {
    auto files = x->check_tree();
    CHECK(files.size() == 4);  // f, f2, new/x, new.conflict-.../y (or the other way)
    CHECK(has_conflict_copy(*x, kRoot, "new"));
    CHECK((x->stat(f).st_mode & 07777) == 0600);
    size_t size = 0;
    Bytes v;
    CHECK(x->fs->getxattr(f, "user.k", 16, &v, &size) == 0);
    CHECK(x->lookup(kRoot, "f2") == f);
    CHECK(x->stat(f).st_nlink == 2);
  }
}

}  // namespace
}  // namespace peerstore

namespace peerstore {
namespace {

using namespace test;

TEST_CASE("sync: a text file edited in two places merges cleanly; overlapping edits do not") {
  NetworkLikeStore net;
  Computer a(net, 1), b(net, 2);
  std::string base;
  for (int i = 0; i < 400; ++i) base += "line " + std::to_string(i) + "\n";  // chunked: > 4 KiB
  uint64_t big = a.create(kRoot, "big.txt");
  a.write(big, 0, base);
  uint64_t small = a.create(kRoot, "small.txt");
  a.write(small, 0, std::string("one\ntwo\nthree\nfour\n"));
  REQUIRE(a.fs->commit() == 0);
  b.sync();

  auto edit = [](std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  std::string a_big = edit(base, "line 10\n", "line 10 edited on a\n");
  std::string b_big = edit(base, "line 300\n", "line 300 edited on b\n");
  a.truncate(big, 0);
  a.write(big, 0, a_big);
  b.truncate(big, 0);
  b.write(big, 0, b_big);
  a.truncate(small, 0);
  a.write(small, 0, std::string("one\nTWO from a\nthree\nfour\n"));
  b.truncate(small, 0);
  b.write(small, 0, std::string("one\nTWO from b\nthree\nfour\n"));
  REQUIRE(a.fs->commit() == 0);
  REQUIRE(b.fs->commit() == 0);
  converge({&a, &b});
  std::string both = edit(a_big, "line 300\n", "line 300 edited on b\n");
  for (Computer* x : {&a, &b}) {
    CHECK(x->read_text(big) == both);
    CHECK_FALSE(has_conflict_copy(*x, kRoot, "big"));
    CHECK(has_conflict_copy(*x, kRoot, "small"));  // the same line: both versions stay
    x->check_tree();
  }
}

}  // namespace
}  // namespace peerstore

namespace peerstore {
namespace {

using namespace test;

// The kernel's writeback cache never takes a file's size from the file system while it holds
// the inode: a file changed elsewhere must lose its name in the kernel's cache too, so that a
// reader that reopens it gets a fresh inode with the new size (it read "change" for "change1").
TEST_CASE("sync: a file rewritten on another computer has its name invalidated, not only its inode") {
  NetworkLikeStore net;
  Computer a(net, 1), b(net, 2);
  uint64_t d = a.mkdir(kRoot, "d");
  uint64_t f = a.create(d, "f");
  a.write(f, 0, std::string("start\n"));
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  REQUIRE(b.lookup(d, "f") == f);  // the kernel holds d and f
  std::vector<FileSystem::Invalidation> told;
  b.fs->set_notifier([&](const FileSystem::Invalidation& inv) { told.push_back(inv); });
  a.truncate(f, 0);
  a.write(f, 0, std::string("change1\n"));
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  REQUIRE(told.size() == 1);
  bool inode = false, name = false;
  for (uint64_t i : told[0].inodes) inode |= i == f;
  for (auto& [dir, n] : told[0].entries) name |= dir == d && n == "f";
  CHECK(inode);
  CHECK(name);
  CHECK(b.stat(f).st_size == 8);
}

}  // namespace
}  // namespace peerstore
