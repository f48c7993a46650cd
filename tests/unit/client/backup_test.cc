// backup() and restore() over a FileSystem on a MemoryStore and real local directories: a tree
// with nested directories, odd modes, a symlink, hard links, a fifo, xattrs and a file of
// several chunks goes in and comes back identical; a second run reads nothing that did not
// change, and writes only the chunk that did; deletions reach the copy; an unreadable file is
// reported and the rest goes on; bad paths are one-line errors.
#include "client/backup.h"

#include <doctest/doctest.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "../fs/fs_harness.h"
#include "client/restore.h"
#include "client/tree_path.h"
#include "support/local_tree.h"

namespace peerstore::client {
namespace {

using test::TempDir;
using test::write_local;

std::string pattern_string(size_t n, uint32_t seed) {
  Bytes b = test::pattern(n, seed);
  return std::string(b.begin(), b.end());
}

// A source tree with one of everything backup keeps.
void make_source(const std::string& src) {
  REQUIRE(::mkdir((src + "/docs").c_str(), 0755) == 0);
  REQUIRE(::mkdir((src + "/docs/deep").c_str(), 0700) == 0);
  REQUIRE(::mkdir((src + "/docs/deep/er").c_str(), 0750) == 0);
  write_local(src + "/a.txt", "hello\n");
  write_local(src + "/docs/odd", "odd modes", 04711);
  write_local(src + "/docs/deep/er/big.bin", pattern_string(700000, 3), 0600);
  write_local(src + "/empty", "", 0444);
  for (int i = 0; i < 30; ++i)
    write_local(src + "/docs/f" + std::to_string(i), "file " + std::to_string(i) + "\n");
  REQUIRE(::symlink("docs/deep/er/big.bin", (src + "/link").c_str()) == 0);
  REQUIRE(::symlink("/nowhere/at/all", (src + "/docs/dangling").c_str()) == 0);
  REQUIRE(::link((src + "/a.txt").c_str(), (src + "/docs/hard-a").c_str()) == 0);
  REQUIRE(::mkfifo((src + "/docs/pipe").c_str(), 0640) == 0);
  REQUIRE(::setxattr((src + "/a.txt").c_str(), "user.tag", "blue", 4, 0) == 0);
  REQUIRE(::setxattr((src + "/docs").c_str(), "user.dir", "x", 1, 0) == 0);
  // Times set last, directories after what is in them.
  timespec old[2] = {{1600000000, 5}, {1600000000, 123456789}};
  for (auto p : {"/a.txt", "/docs/odd", "/docs/f3", "/docs/deep/er", "/docs/deep", "/docs"})
    REQUIRE(::utimensat(AT_FDCWD, (src + p).c_str(), old, AT_SYMLINK_NOFOLLOW) == 0);
}

BackupOptions options_for(const std::string& src) {
  BackupOptions o;
  o.source = src;
  o.tree_dir = "/backups/host" + src;
  o.caller = test::root_caller();
  return o;
}

TEST_CASE("backup: a tree goes in and comes back identical; a second run reads nothing") {
  test::FsHarness h;
  TempDir src, dst;
  make_source(src.path());
  BackupIndex index;
  std::vector<std::string> problems;
  BackupOptions o = options_for(src.path());
  o.problem = [&](const std::string& p) { problems.push_back(p); };
  BackupProgress last;
  o.progress = [&](const BackupProgress& p) { last = p; };
  auto r = backup(*h.fs, index, o);
  INFO((r ? std::string() : r.error().message()));
  REQUIRE(r.ok());
  CHECK(problems.empty());
  CHECK(r->files == 34);  // a.txt, odd, big.bin, empty, f0..f29
  CHECK(r->hard_links == 1);
  CHECK(r->symlinks == 2);
  CHECK(r->specials == 1);
  CHECK(r->dirs == 4);
  CHECK(r->unchanged == 0);
  CHECK(last.files_done == last.files_total);
  CHECK(last.files_total == 35);
  CHECK(last.bytes_done == last.bytes_total);
  CHECK(index.size() == 34);  // the files; a second name of one is no entry

  // Through a commit and a reopen, as another command would see it.
  h.reopen();
  RestoreOptions ro;
  ro.tree_path = o.tree_dir;
  ro.dest = dst / "out";
  auto back = restore(*h.fs, ro);
  INFO((back ? std::string() : back.error().message()));
  REQUIRE(back.ok());
  CHECK(back->problems == 0);
  auto diffs = test::compare_trees(src.path(), ro.dest);
  INFO(diffs.size() << " differences, first: " << (diffs.empty() ? "" : diffs.front()));
  CHECK(diffs.empty());

  // Nothing changed: nothing read, nothing written.
  auto again = backup(*h.fs, index, o);
  REQUIRE(again.ok());
  CHECK(again->unchanged == 34);
  CHECK(again->bytes_read == 0);
  CHECK(again->bytes_written == 0);
  CHECK(again->removed == 0);

  // One chunk of the big file changes, a file goes, one is new: only those are touched.
  std::string big = src / "docs/deep/er/big.bin";
  std::string content = test::read_local(big);
  content[200000] ^= 1;
  write_local(big, content, 0600);
  REQUIRE(::unlink((src / "docs/f7").c_str()) == 0);
  write_local(src / "docs/new", "new\n");
  auto third = backup(*h.fs, index, o);
  REQUIRE(third.ok());
  CHECK(third->unchanged == 32);
  CHECK(third->files == 2);
  CHECK(third->bytes_read == content.size() + 4);
  CHECK(third->bytes_written == (64 << 10) + 4);  // one chunk of big.bin, and new
  CHECK(third->removed == 1);
  h.reopen();
  ro.dest = dst / "out2";
  REQUIRE(restore(*h.fs, ro).ok());
  auto diffs2 = test::compare_trees(src.path(), ro.dest);
  INFO(diffs2.size() << " differences, first: " << (diffs2.empty() ? "" : diffs2.front()));
  CHECK(diffs2.empty());
}

TEST_CASE("backup: without its index a run compares with the copy and writes nothing new") {
  test::FsHarness h;
  TempDir src;
  make_source(src.path());
  BackupIndex index;
  BackupOptions o = options_for(src.path());
  REQUIRE(backup(*h.fs, index, o).ok());
  BackupIndex lost;  // a damaged or deleted index
  auto r = backup(*h.fs, lost, o);
  REQUIRE(r.ok());
  CHECK(r->unchanged == 0);
  CHECK(r->bytes_read > 700000);
  CHECK(r->bytes_written == 0);
  CHECK(lost.size() == index.size());
}

TEST_CASE("backup: a run stopped between entries keeps what it did; the next one finishes") {
  test::FsHarness h;
  TempDir src, dst;
  make_source(src.path());
  BackupIndex index;
  std::atomic<bool> stop{false};
  BackupOptions o = options_for(src.path());
  o.stop = &stop;
  o.progress = [&](const BackupProgress& p) {
    if (p.files_done >= 10) stop = true;
  };
  auto r = backup(*h.fs, index, o);
  REQUIRE(r.ok());
  CHECK(r->stopped);
  CHECK(r->files < 34);
  CHECK(index.size() == r->files);  // only what was stored counts as stored
  h.reopen();
  o.stop = nullptr;
  o.progress = nullptr;
  auto rest = backup(*h.fs, index, o);
  REQUIRE(rest.ok());
  CHECK_FALSE(rest->stopped);
  CHECK(rest->unchanged == r->files);
  RestoreOptions ro;
  ro.tree_path = o.tree_dir;
  ro.dest = dst / "out";
  REQUIRE(restore(*h.fs, ro).ok());
  auto diffs = test::compare_trees(src.path(), ro.dest);
  INFO(diffs.size() << " differences, first: " << (diffs.empty() ? "" : diffs.front()));
  CHECK(diffs.empty());
}

TEST_CASE("backup: a file that cannot be read is reported, and the rest is stored") {
  test::FsHarness h;
  TempDir src;
  write_local(src / "ok1", "one");
  write_local(src / "secret", "nope", 0000);
  write_local(src / "ok2", "two");
  BackupIndex index;
  std::vector<std::string> problems;
  BackupOptions o = options_for(src.path());
  o.problem = [&](const std::string& p) { problems.push_back(p); };
  test::NoDacOverride guard;
  auto r = backup(*h.fs, index, o);
  REQUIRE(r.ok());
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].find(src / "secret") != std::string::npos);
  CHECK(problems[0].find("Permission denied") != std::string::npos);
  CHECK(r->problems == 1);
  CHECK(r->files == 2);
  auto ok2 = resolve(*h.fs, o.tree_dir + "/ok2");
  REQUIRE(ok2.ok());
  CHECK(h.read_all(*ok2) == to_bytes("two"));
  CHECK(resolve(*h.fs, o.tree_dir + "/secret").code() == Errc::not_found);
  CHECK(index.find(src / "secret") == nullptr);
}

TEST_CASE("backup: bad paths are errors that name them") {
  test::FsHarness h;
  TempDir t;
  BackupIndex index;
  BackupOptions o = options_for(t / "missing");
  auto r = backup(*h.fs, index, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Errc::not_found);
  CHECK(r.error().context.find(t / "missing") != std::string::npos);
  write_local(t / "file", "x");
  o = options_for(t / "file");
  r = backup(*h.fs, index, o);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().context.find("not a directory") != std::string::npos);

  auto got = get_file(*h.fs, "/no/such/file", t / "dest");
  CHECK(got.code() == Errc::not_found);
  CHECK(::access((t / "dest").c_str(), F_OK) != 0);
  RestoreOptions ro;
  ro.tree_path = "/";
  ro.dest = t.path();  // not empty: it holds "file"
  auto rr = restore(*h.fs, ro);
  REQUIRE_FALSE(rr.ok());
  CHECK(rr.error().context.find("not an empty directory") != std::string::npos);
  CHECK(split_tree_path("/a/../b").code() == Errc::invalid);
}

TEST_CASE("backup: getfile writes one file, under its name in a directory") {
  test::FsHarness h;
  TempDir src, dst;
  make_source(src.path());
  BackupIndex index;
  BackupOptions o = options_for(src.path());
  REQUIRE(backup(*h.fs, index, o).ok());
  auto got = get_file(*h.fs, o.tree_dir + "/docs/deep/er/big.bin", dst.path());
  REQUIRE(got.ok());
  CHECK(*got == 700000);
  CHECK(test::read_local(dst / "big.bin") == test::read_local(src / "docs/deep/er/big.bin"));
  REQUIRE(get_file(*h.fs, o.tree_dir + "/a.txt", dst / "renamed").ok());
  CHECK(test::read_local(dst / "renamed") == "hello\n");
  char tag[8] = {};
  CHECK(::getxattr((dst / "renamed").c_str(), "user.tag", tag, sizeof tag) == 4);
  CHECK(get_file(*h.fs, o.tree_dir + "/docs", dst / "x").code() == Errc::invalid);
}

}  // namespace
}  // namespace peerstore::client
