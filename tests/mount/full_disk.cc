// Mount tests, a full disk (issue 16): the data directory on a 48 MiB tmpfs. A 100 MiB file
// does not fit: writing it fails with ENOSPC (at write, fsync or close; never EIO, never
// silence); what was written before reads back intact; the mount stays up, and small files,
// names and deletes go on from the reserve; once the disk grows, writing works again without a
// remount; after a remount everything that was acknowledged is there. With the default
// retention (every version of the last hour kept), deleting what filled the disk gives its space
// back within minutes: the collector thins the automatic snapshots, oldest first. Needs a real
// mount and root (to mount the tmpfs); with CI set, not being able to is a failure.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

// A tmpfs of `size` on the fixture's data directory for the life of the object; the mount is
// stopped first (a test that failed midway leaves it running).
class Tmpfs {
 public:
  Tmpfs(MountFixture& fx, const std::string& size) : fx_(fx), dir_(fx.data_dir()) {
    ok_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    error_ = ok_ ? 0 : errno;
  }
  ~Tmpfs() {
    if (!ok_) return;
    if (fx_.is_mounted()) fx_.crash();
    ::umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return ok_; }
  int error() const { return error_; }
  bool resize(const std::string& size) {
    return ::mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT, ("size=" + size).c_str()) == 0;
  }

 private:
  MountFixture& fx_;
  std::string dir_;
  bool ok_ = false;
  int error_ = 0;
};

// Whether the tmpfs is there; without it a test fails when CI is set, and is skipped otherwise.
bool ready(const Tmpfs& disk) {
  if (disk.ok()) return true;
  std::string why = "cannot mount a tmpfs on the data directory: " + errno_name(disk.error());
  if (getenv("CI")) FAIL(why << " (CI is set, so this is a failure)");
  MESSAGE("SKIPPED: " << why);
  return false;
}

// Writes `size` bytes in 1 MiB pieces, then fsync and close. Returns 0 if all of it succeeded,
// else the first errno, with `where` saying which call returned it.
int write_whole_file(const std::string& path, size_t size, std::string* where) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return *where = "open", errno;
  std::string piece = random_bytes(1 << 20, 7);
  for (size_t done = 0; done < size; done += piece.size()) {
    // Every chunk different, or the store would keep one copy of each repeated chunk.
    for (size_t at = 0; at < piece.size(); at += kChunk)
      std::memcpy(&piece[at], &done, sizeof done);
    if (::write(fd, piece.data(), piece.size()) < 0) {
      int e = errno;
      ::close(fd);
      return *where = "write", e;
    }
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    return *where = "fsync", e;
  }
  if (::close(fd) != 0) return *where = "close", errno;
  return 0;
}

TEST_CASE("full disk: ENOSPC, nothing written before is lost, and writing resumes with room") {
  MountFixture fx(MountOptions{.mount_now = false});
  if (!fx.require_real_mount()) return;
  Tmpfs disk(fx, "48m");
  if (!ready(disk)) return;
  fx.mount();
  const std::string keep_small = random_bytes(100, 1), keep_big = random_bytes(3 << 20, 2);
  write_file(fx.path("keep.txt"), keep_small);
  write_file(fx.path("keep.bin"), keep_big);
  {
    Fd dir = open_or_die(fx.mountpoint(), O_RDONLY | O_DIRECTORY);
    REQUIRE(::fsync(dir.get()) == 0);
  }

  std::string where;
  int e = write_whole_file(fx.path("big"), 100 << 20, &where);
  CHECK_MESSAGE(e == ENOSPC,
                "a 100 MiB file on a 48 MiB disk: " << where << " returned " << errno_name(e));
  MESSAGE("the full disk was reported by " << where);
  CHECK(fx.is_mounted());
  CHECK(read_file(fx.path("keep.txt")) == keep_small);
  CHECK(hash_hex(read_file(fx.path("keep.bin"))) == hash_hex(keep_big));

  // Small files, names and deletes go on. (On failure the mount's log shows the numbers the
  // space budget refused with: this step failed 1 run in 20 under load, cause still open.)
  {
    int fd = ::open(fx.path("after.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = errno;
    REQUIRE_MESSAGE(fd >= 0, "open after.txt: " << errno_name(e) << "; the mount's log:\n"
                                                << fx.log());
    REQUIRE(::write(fd, "after\n", 6) == 6);
    REQUIRE(::close(fd) == 0);
  }
  REQUIRE_OK(::mkdir(fx.path("dir").c_str(), 0755));
  REQUIRE_OK(::unlink(fx.path("big").c_str()));
  {
    Fd f = open_or_die(fx.path("after.txt"), O_RDONLY);
    CHECK(::fsync(f.get()) == 0);
  }

  // The disk grows: writing works again, without a remount.
  REQUIRE(disk.resize("256m"));
  e = write_whole_file(fx.path("dir/again.bin"), 20 << 20, &where);
  CHECK_MESSAGE(e == 0, "after the disk grew: " << where << " returned " << errno_name(e));

  fx.remount();
  CHECK(read_file(fx.path("keep.txt")) == keep_small);
  CHECK(hash_hex(read_file(fx.path("keep.bin"))) == hash_hex(keep_big));
  CHECK(read_file(fx.path("after.txt")) == "after\n");
  CHECK(stat_of(fx.path("dir/again.bin")).st_size == 20 << 20);
  CHECK(::access(fx.path("big").c_str(), F_OK) != 0);
  CHECK(fx.unmount() == 0);
}

TEST_CASE("full disk: deleting files gives room back, the default retention thinned") {
  MountFixture fx(MountOptions{.mount_now = false});
  if (!fx.require_real_mount()) return;
  Tmpfs disk(fx, "48m");
  if (!ready(disk)) return;
  fx.mount();
  const std::string keep = random_bytes(1 << 20, 3);
  write_file(fx.path("keep.bin"), keep);
  std::string where;
  int e = write_whole_file(fx.path("big"), 100 << 20, &where);
  REQUIRE_MESSAGE(e == ENOSPC, where << " returned " << errno_name(e));
  e = write_whole_file(fx.path("more"), 8 << 20, &where);
  REQUIRE_MESSAGE(e == ENOSPC,
                  "a second file on the full disk: " << where << " returned " << errno_name(e));
  REQUIRE_OK(::unlink(fx.path("big").c_str()));
  REQUIRE_OK(::unlink(fx.path("more").c_str()));
  // Every version of the last hour holds some of them: only thinning frees it.
  auto start = std::chrono::steady_clock::now();
  double waited = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::seconds(3));
    waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    e = write_whole_file(fx.path("again.bin"), 8 << 20, &where);
    if (e == 0 || waited > 180) break;
    REQUIRE_MESSAGE(e == ENOSPC, where << " returned " << errno_name(e));
    ::unlink(fx.path("again.bin").c_str());
  }
  MESSAGE("an 8 MiB write worked again " << waited << " s after the deletes");
  CHECK_MESSAGE(e == 0, "still no room " << waited << " s after the deletes: " << fx.log());
  CHECK(fx.log().find("space is low") != std::string::npos);
  CHECK(hash_hex(read_file(fx.path("keep.bin"))) == hash_hex(keep));
  fx.remount();
  CHECK(hash_hex(read_file(fx.path("keep.bin"))) == hash_hex(keep));
  CHECK(stat_of(fx.path("again.bin")).st_size == 8 << 20);
  CHECK(fx.unmount() == 0);
}

}  // namespace
}  // namespace peerstore::test
