// Mount tests, .snapshots/ (docs/lifecycle.md, Snapshots in the mount): past versions of the
// tree under their times, read-only, hidden from the root's listing; copying a file out of one
// restores it; they survive a remount; -o snapshots_* sets what is kept; removing most files
// pins the version before as before-mass-delete-TIME, kept even where retention keeps nothing
// but the current version, and recorded in DATA/brakes. Needs a real mount.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

// Written and committed (fsync: the commit is a version).
void commit_file(const std::string& path, const std::string& text) {
  Fd fd = open_or_die(path, O_CREAT | O_WRONLY | O_TRUNC);
  write_at(fd.get(), text, 0);
  REQUIRE_OK(fsync(fd.get()));
}

void commit_tree(const std::string& mnt) {
  Fd fd = open_or_die(mnt, O_RDONLY | O_DIRECTORY);
  REQUIRE_OK(syncfs(fd.get()));
}

// The versions .snapshots/ shows once it shows at least `n` (it reads the history at most once
// a second).
std::vector<std::string> versions(const MountFixture& fx, size_t n) {
  std::vector<std::string> names;
  wait_until(
      [&] {
        names = dir_names(fx.path(".snapshots"));
        return names.size() >= n;
      },
      10s);
  return names;
}

TEST_CASE("snapshots: every version so far, read-only; copying out restores a file") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  commit_file(fx.path("keep.txt"), "kept in the first version");
  commit_file(fx.path("doc.txt"), "first");
  commit_file(fx.path("doc.txt"), "second, longer");
  REQUIRE_OK(unlink(fx.path("keep.txt").c_str()));
  commit_tree(fx.mountpoint());

  // Not in the root's listing (find, du and rsync do not walk every version); there by name.
  std::vector<std::string> top = dir_names(fx.mountpoint());
  CHECK(std::find(top.begin(), top.end(), ".snapshots") == top.end());
  struct stat st = stat_of(fx.path(".snapshots"));
  CHECK(S_ISDIR(st.st_mode));
  std::vector<std::string> names = versions(fx, 4);
  REQUIRE_MESSAGE(names.size() >= 4, fx.log());
  for (auto& n : names) CHECK_MESSAGE(n.rfind("20", 0) == 0, n);

  // Some version has keep.txt and the first doc.txt; the newest has neither.
  std::string with_keep;
  for (auto& n : names) {
    std::string dir = fx.path(".snapshots/" + n);
    if (access((dir + "/keep.txt").c_str(), F_OK) == 0 &&
        access((dir + "/doc.txt").c_str(), F_OK) == 0 && read_file(dir + "/doc.txt") == "first")
      with_keep = dir;
  }
  REQUIRE_MESSAGE(!with_keep.empty(), "no version holds keep.txt with the first doc.txt");
  CHECK(read_file(with_keep + "/keep.txt") == "kept in the first version");
  bool newest_found = false;
  for (auto& n : names) {
    std::string dir = fx.path(".snapshots/" + n);
    if (access((dir + "/keep.txt").c_str(), F_OK) != 0 &&
        access((dir + "/doc.txt").c_str(), F_OK) == 0 &&
        read_file(dir + "/doc.txt") == "second, longer")
      newest_found = true;
  }
  CHECK(newest_found);

  // Read-only all the way down.
  errno = 0;
  CHECK(open((with_keep + "/new.txt").c_str(), O_CREAT | O_WRONLY, 0644) < 0);
  CHECK(errno == EROFS);
  errno = 0;
  CHECK(open((with_keep + "/keep.txt").c_str(), O_WRONLY) < 0);
  CHECK(errno == EROFS);
  errno = 0;
  CHECK(unlink((with_keep + "/keep.txt").c_str()) != 0);
  CHECK(errno == EROFS);
  errno = 0;
  CHECK(mkdir(fx.path(".snapshots/x").c_str(), 0755) != 0);
  CHECK(errno == EROFS);
  errno = 0;
  CHECK(mkdir(fx.path(".snapshots").c_str(), 0755) != 0);
  CHECK(errno == EEXIST);
  errno = 0;
  CHECK(rename(fx.path("doc.txt").c_str(), fx.path(".snapshots").c_str()) != 0);
  CHECK(errno == EISDIR);  // the kernel's answer: a file onto a directory
  REQUIRE_OK(mkdir(fx.path("dir").c_str(), 0755));
  errno = 0;
  CHECK(rename(fx.path("dir").c_str(), fx.path(".snapshots").c_str()) != 0);
  CHECK(errno == EBUSY);
  errno = 0;
  CHECK(rmdir(fx.path(".snapshots").c_str()) != 0);
  CHECK(errno == EBUSY);

  // cp out of a version restores the file.
  write_file(fx.path("keep.txt"), read_file(with_keep + "/keep.txt"));
  CHECK(read_file(fx.path("keep.txt")) == "kept in the first version");
  CHECK(read_file(fx.path("doc.txt")) == "second, longer");

  // After a remount the versions are still there.
  fx.remount();
  std::vector<std::string> again = versions(fx, names.size());
  for (auto& n : names)
    CHECK_MESSAGE(std::find(again.begin(), again.end(), n) != again.end(), n << " went");
  CHECK(read_file(with_keep + "/keep.txt") == "kept in the first version");
}

TEST_CASE("snapshots: -o snapshots_*=0 keeps only the current version") {
  MountFixture fx(
      MountOptions{.fuse_options = {"snapshots_all=0", "snapshots_hourly=0", "snapshots_daily=0"}});
  if (!fx.require_real_mount()) return;
  commit_file(fx.path("a.txt"), "one");
  commit_file(fx.path("a.txt"), "two");
  commit_tree(fx.mountpoint());
  std::this_thread::sleep_for(1100ms);  // past the listing's one-second cache
  std::vector<std::string> names = dir_names(fx.path(".snapshots"));
  REQUIRE(names.size() == 1);
  CHECK(read_file(fx.path(".snapshots/" + names[0] + "/a.txt")) == "two");
}

TEST_CASE("snapshots: a mass deletion pins the version before it") {
  MountFixture fx(
      MountOptions{.fuse_options = {"snapshots_all=0", "snapshots_hourly=0", "snapshots_daily=0"}});
  if (!fx.require_real_mount()) return;
  REQUIRE_OK(mkdir(fx.path("work").c_str(), 0755));
  for (int i = 0; i < 79; ++i)
    write_file(fx.path("work/f" + std::to_string(i)), "file " + std::to_string(i));
  commit_file(fx.path("work/f79"), "file 79");  // fsync commits the tree: a version
  std::this_thread::sleep_for(20ms);
  for (int i = 0; i < 80; ++i) REQUIRE_OK(unlink(fx.path("work/f" + std::to_string(i)).c_str()));

  std::string pinned;
  bool seen = wait_until(
      [&] {
        for (auto& n : dir_names(fx.path(".snapshots")))
          if (n.rfind("before-mass-delete-", 0) == 0) pinned = n;
        return !pinned.empty();
      },
      10s);
  REQUIRE_MESSAGE(seen, fx.log());
  std::string before = fx.path(".snapshots/" + pinned + "/work");
  CHECK(dir_names(before).size() == 80);
  CHECK(read_file(before + "/f42") == "file 42");
  CHECK(fx.log().find("mass deletion: ") != std::string::npos);
  struct stat st = stat_of(fx.data_dir() + "/brakes");
  CHECK(st.st_size > 0);
  // Copied back, the files are there again; the pin stays after a remount.
  write_file(fx.path("work/f42"), read_file(before + "/f42"));
  fx.remount();
  CHECK(read_file(fx.path("work/f42")) == "file 42");
  std::vector<std::string> after = versions(fx, 2);
  CHECK(std::find(after.begin(), after.end(), pinned) != after.end());
}

}  // namespace
}  // namespace peerstore::test
