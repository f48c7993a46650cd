// Mount tests, persistence: after unmount and remount on the same data and config dirs, every
// observable property of the tree is unchanged (content, modes, owners, nanosecond times,
// symlinks, hard links, xattrs, FIFOs, empty and sparse files, inode numbers), deletions stay
// deleted, mmap writes are kept, and a file opened with O_TRUNC holds only what was written
// after (the kernel passes O_TRUNC to the file system's open). Needs a real mount.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>

#include "mount/mount_test_util.h"
#include "mount/tree_snapshot.h"
#include "support/mount_fixture.h"

namespace peerstore::test {

TEST_CASE("persistence: the whole tree survives unmount and remount") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  REQUIRE_OK(mkdir(fx.path("tree").c_str(), 0755));
  const std::string root = fx.path("tree");
  populate_sample_tree(root, 1000);
  TreeSnapshot before = snapshot_tree(root);
  REQUIRE(before.count("inline-100"));

  fx.remount();
  TreeSnapshot after = snapshot_tree(root, &before);
  std::string diff = compare_snapshots(before, after);
  CHECK_MESSAGE(diff.empty(), "after remount:\n" << diff);

  // Spot checks, so a broken snapshot cannot make this vacuous.
  struct stat st = lstat_of(root + "/inline-100");
  CHECK_EQ(st.st_mtim.tv_sec, 1500000000);
  CHECK_EQ(st.st_mtim.tv_nsec, 999999999);
  CHECK_EQ(st.st_mode & 07777, 0640u);
  CHECK_EQ(lstat_of(root + "/hl-b").st_nlink, 3u);
  CHECK_EQ(lstat_of(root + "/hl-b").st_ino, before.at("hl-a").st.st_ino);
  CHECK(S_ISFIFO(lstat_of(root + "/fifo").st_mode));
  CHECK_EQ(lstat_of(root + "/empty").st_size, 0);
  CHECK_EQ(lstat_of(root + "/sparse-1g").st_size, (off_t(1) << 30) + 4);
  CHECK_EQ(read_file(root + "/hl-a"), "hard linked");
  CHECK_EQ(after["long-link"].link_target.size(), 4000u);
  CHECK_EQ(after["inline-100"].xattrs["user.big"].size(), 4096u);
  CHECK_EQ(after["empty"].xattrs.count("user.empty"), 1u);

  // Changes after a remount persist too, deletions included.
  REQUIRE_OK(unlink((root + "/chunk-65536").c_str()));
  REQUIRE_OK(rename((root + "/random-300k").c_str(), (root + "/d/moved").c_str()));
  REQUIRE_OK(truncate((root + "/chunked-4097").c_str(), 10));
  REQUIRE_OK(removexattr((root + "/inline-100").c_str(), "user.a"));
  REQUIRE_OK(unlink((root + "/hl-a").c_str()));
  REQUIRE_OK(rmdir((root + "/d/empty-dir").c_str()));
  REQUIRE_OK(unlink((root + "/fifo").c_str()));
  write_file(root + "/new-after-remount", "new");
  TreeSnapshot changed = snapshot_tree(root);
  CHECK_FALSE(changed.count("chunk-65536"));

  fx.remount();
  TreeSnapshot again = snapshot_tree(root, &changed);
  diff = compare_snapshots(changed, again);
  CHECK_MESSAGE(diff.empty(), "after the second remount:\n" << diff);
  CHECK_ERRNO(access((root + "/chunk-65536").c_str(), F_OK), ENOENT);
  CHECK_EQ(lstat_of(root + "/hl-b").st_nlink, 2u);
}

TEST_CASE("persistence: a file opened with O_TRUNC keeps only what was written after it") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  for (size_t old_size : {size_t(100), size_t(100000), size_t(3 << 20)}) {
    std::string name = fx.path("t" + std::to_string(old_size));
    write_file(name, random_bytes(old_size, old_size));
    {
      Fd fd = open_or_die(name, O_RDONLY);
      REQUIRE_OK(fsync(fd.get()));
    }
    {
      Fd fd = open_or_die(name, O_WRONLY | O_TRUNC);
      write_at(fd.get(), "hi\n", 0);
    }
    CHECK(read_file(name) == "hi\n");
  }
  fx.remount();
  for (size_t old_size : {size_t(100), size_t(100000), size_t(3 << 20)}) {
    INFO("a file of " << old_size << " bytes before");
    std::string name = fx.path("t" + std::to_string(old_size));
    CHECK(stat_of(name).st_size == 3);
    CHECK(read_file(name) == "hi\n");
  }
}

TEST_CASE("persistence: inode numbers are stable across remounts") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  std::vector<std::pair<std::string, ino_t>> inodes;
  REQUIRE_OK(mkdir(fx.path("dir").c_str(), 0755));
  write_file(fx.path("dir/file"), "f");
  REQUIRE_OK(symlink("dir/file", fx.path("sym").c_str()));
  for (const char* rel : {"", "dir", "dir/file", "sym"})
    inodes.emplace_back(rel, lstat_of(fx.path(rel)).st_ino);
  for (int round = 0; round < 2; ++round) {
    fx.remount();
    for (const auto& [rel, ino] : inodes) {
      CAPTURE(rel);
      CHECK_EQ(lstat_of(fx.path(rel)).st_ino, ino);
    }
  }
  // Distinct objects, distinct numbers.
  CHECK_NE(inodes[1].second, inodes[2].second);
  CHECK_NE(inodes[2].second, inodes[3].second);
}

TEST_CASE("persistence: mmap writes survive remount") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  const size_t len = 2 * kChunk + 4097;
  std::string data = random_bytes(len, 1100);
  {
    Fd fd = open_or_die(fx.path("mapped"), O_CREAT | O_RDWR, 0644);
    REQUIRE_OK(ftruncate(fd.get(), len));
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    int e = errno;
    REQUIRE_MESSAGE(p != MAP_FAILED, "mmap: " << errno_name(e));
    memcpy(p, data.data(), len);
    CHECK_OK(msync(p, len, MS_SYNC));
    CHECK_OK(munmap(p, len));
  }
  // Dirty pages written through a mapping and never msync'ed are flushed by close/munmap.
  std::string later = random_bytes(100, 1101);
  {
    Fd fd = open_or_die(fx.path("mapped"), O_RDWR);
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    REQUIRE(p != MAP_FAILED);
    memcpy(static_cast<char*>(p) + kChunk - 50, later.data(), later.size());
    CHECK_OK(munmap(p, len));
  }
  data.replace(kChunk - 50, later.size(), later);
  fx.remount();
  CHECK_BYTES(read_file(fx.path("mapped")), data);
}

}  // namespace peerstore::test
