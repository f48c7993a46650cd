// Mount tests, regular files, continued from posix_files.cc: fsync, fdatasync and syncfs, locks
// between processes, mmap, statfs, and large files checked by hash. Every expectation here also
// holds on ext4/tmpfs (run with PEERSTORE_TEST_DIR to check).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {

TEST_CASE("files: fsync fdatasync syncfs and fsync of a directory") {
  MountFixture fx;
  if (!fx.usable()) return;
  REQUIRE_OK(mkdir(fx.path("d").c_str(), 0755));
  std::string f = fx.path("d/f");
  Fd fd = open_or_die(f, O_CREAT | O_RDWR, 0644);
  write_at(fd.get(), random_bytes(100000, 51), 0);
  CHECK_OK(fsync(fd.get()));
  write_at(fd.get(), "more", 100000);
  CHECK_OK(fdatasync(fd.get()));
  CHECK_OK(syncfs(fd.get()));
  Fd ro = open_or_die(f, O_RDONLY);
  CHECK_OK(fsync(ro.get()));
  Fd dir = open_or_die(fx.path("d"), O_RDONLY | O_DIRECTORY);
  CHECK_OK(fsync(dir.get()));
  CHECK_OK(fdatasync(dir.get()));
  Fd root = open_or_die(fx.mountpoint(), O_RDONLY | O_DIRECTORY);
  CHECK_OK(fsync(root.get()));
  sync();
  CHECK_EQ(fstat_of(fd.get()).st_size, 100004);
}

TEST_CASE("files: flock and fcntl locks between two processes") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("locked");
  write_file(f, std::string(1000, 'l'));
  // Each probe runs in another process with its own open file description.
  auto try_flock = [&f](int op) {
    return run_forked([&f, op] {
      int fd = open(f.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) return 200;
      return flock(fd, op | LOCK_NB) == 0 ? 0 : errno;
    });
  };
  auto try_fcntl = [&f](short type, off_t start, off_t len) {
    return run_forked([&f, type, start, len] {
      int fd = open(f.c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) return 200;
      struct flock l {};
      l.l_type = type;
      l.l_whence = SEEK_SET;
      l.l_start = start;
      l.l_len = len;
      return fcntl(fd, F_SETLK, &l) == 0 ? 0 : errno;
    });
  };

  Fd a = open_or_die(f, O_RDWR);
  REQUIRE_OK(flock(a.get(), LOCK_EX));
  CHECK_EQ(try_flock(LOCK_EX), EWOULDBLOCK);
  CHECK_EQ(try_flock(LOCK_SH), EWOULDBLOCK);
  REQUIRE_OK(flock(a.get(), LOCK_SH));
  CHECK_EQ(try_flock(LOCK_SH), 0);
  CHECK_EQ(try_flock(LOCK_EX), EWOULDBLOCK);
  REQUIRE_OK(flock(a.get(), LOCK_UN));
  CHECK_EQ(try_flock(LOCK_EX), 0);

  struct flock l {};
  l.l_type = F_WRLCK;
  l.l_whence = SEEK_SET;
  l.l_start = 0;
  l.l_len = 100;
  REQUIRE_OK(fcntl(a.get(), F_SETLK, &l));
  int busy = try_fcntl(F_WRLCK, 50, 10);
  CHECK_MESSAGE((busy == EAGAIN || busy == EACCES), "got " << errno_name(busy));
  busy = try_fcntl(F_RDLCK, 99, 1);
  CHECK_MESSAGE((busy == EAGAIN || busy == EACCES), "got " << errno_name(busy));
  CHECK_EQ(try_fcntl(F_WRLCK, 200, 100), 0);
  // F_GETLK from the other process names us.
  pid_t me = getpid();
  int getlk = run_forked([&f, me] {
    int fd = open(f.c_str(), O_RDWR | O_CLOEXEC);
    struct flock q {};
    q.l_type = F_WRLCK;
    q.l_whence = SEEK_SET;
    q.l_start = 50;
    q.l_len = 10;
    if (fd < 0 || fcntl(fd, F_GETLK, &q) != 0) return 200;
    return q.l_type == F_WRLCK && q.l_pid == me && q.l_start == 0 && q.l_len == 100 ? 0 : 201;
  });
  CHECK_EQ(getlk, 0);
  // Closing any descriptor of the file drops our POSIX locks (the classic rule).
  { Fd other = open_or_die(f, O_RDONLY); }
  CHECK_EQ(try_fcntl(F_WRLCK, 50, 10), 0);
  REQUIRE_OK(fcntl(a.get(), F_SETLK, &l));
  l.l_type = F_UNLCK;
  REQUIRE_OK(fcntl(a.get(), F_SETLK, &l));
  CHECK_EQ(try_fcntl(F_WRLCK, 0, 0), 0);
}

TEST_CASE("files: mmap MAP_SHARED writes reach read(2)") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("mapped");
  const size_t len = 3 * kChunk + 100;
  std::string data = random_bytes(len, 61);
  {
    Fd fd = open_or_die(f, O_CREAT | O_RDWR, 0644);
    REQUIRE_OK(ftruncate(fd.get(), len));
    void* p = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    int e = errno;  // before doctest runs: its messages are built lazily
    REQUIRE_MESSAGE(p != MAP_FAILED, "mmap: " << errno_name(e));
    memcpy(p, data.data(), len);
    CHECK_OK(msync(p, len, MS_SYNC));
    CHECK_BYTES(read_at(fd.get(), 0, len), data);
    CHECK_OK(munmap(p, len));
  }
  check_file(f, data);
  // A read-only mapping sees what write(2) wrote.
  std::string g = fx.path("written");
  std::string other = random_bytes(70000, 62);
  write_file(g, other);
  Fd fd = open_or_die(g, O_RDONLY);
  void* p = mmap(nullptr, other.size(), PROT_READ, MAP_SHARED, fd.get(), 0);
  int e = errno;  // before doctest runs: its messages are built lazily
  REQUIRE_MESSAGE(p != MAP_FAILED, "mmap: " << errno_name(e));
  CHECK_BYTES(std::string_view(static_cast<const char*>(p), other.size()), other);
  munmap(p, other.size());
}

TEST_CASE("files: statfs") {
  MountFixture fx;
  if (!fx.usable()) return;
  struct statvfs sv {};
  REQUIRE_OK(statvfs(fx.mountpoint().c_str(), &sv));
  CHECK_GT(sv.f_bsize, 0u);
  CHECK_GT(sv.f_blocks, 0u);
  CHECK_LE(sv.f_bfree, sv.f_blocks);
  CHECK_LE(sv.f_bavail, sv.f_bfree);
  CHECK_EQ(sv.f_namemax, 255u);
  write_file(fx.path("f"), "x");
  Fd fd = open_or_die(fx.path("f"), O_RDONLY);
  struct statfs sf {};
  REQUIRE_OK(fstatfs(fd.get(), &sf));
  if (fx.real()) CHECK_EQ(sf.f_type, 0x65735546);  // FUSE_SUPER_MAGIC
}

TEST_CASE("files: a 64 MiB random file (by hash) and a 4 GiB sparse file read back") {
  MountFixture fx;
  if (!fx.usable()) return;
  // 64 MiB of random bytes, written in unaligned pieces.
  const size_t big_size = size_t(64) << 20;
  std::string big = random_bytes(big_size, 71);
  std::string big_hash = hash_hex(big);
  std::string f = fx.path("random-64m");
  {
    Fd fd = open_or_die(f, O_CREAT | O_WRONLY, 0644);
    const size_t pieces[] = {1000003, 65537, 4095, 777777, 131072, 1};
    size_t done = 0;
    for (int i = 0; done < big_size; ++i) {
      size_t n = std::min(pieces[i % std::size(pieces)], big_size - done);
      ssize_t w = write(fd.get(), big.data() + done, n);
      int e = errno;  // before doctest runs: its messages are built lazily
      REQUIRE_MESSAGE(w == static_cast<ssize_t>(n), "write at " << done << ": " << errno_name(e));
      done += n;
    }
    REQUIRE_OK(fd.close());
  }
  uint64_t read_size = 0;
  CHECK_EQ(hash_file(f, 100000, &read_size), big_hash);
  CHECK_EQ(read_size, big_size);

  // A sparse file past 4 GiB: data at the start, across 2^32 and a chunk boundary, at the end.
  const off_t four_g = off_t(1) << 32;
  const off_t sparse_size = four_g + 2 * kChunk + 3;
  struct Region {
    off_t offset;
    std::string data;
  };
  const std::vector<Region> regions = {
      {0, random_bytes(1 << 20, 72)},
      {four_g - 5000, random_bytes(75000, 73)},
      {sparse_size - 1, "z"},
  };
  std::string s = fx.path("sparse-4g");
  {
    Fd fd = open_or_die(s, O_CREAT | O_WRONLY, 0644);
    for (const auto& r : regions) write_at(fd.get(), r.data, r.offset);
    REQUIRE_OK(fsync(fd.get()));
    struct stat st = fstat_of(fd.get());
    CHECK_EQ(st.st_size, sparse_size);
    CHECK_LT(st.st_blocks, 8192);  // ~2 MiB of data, not 4 GiB
  }
  // Expected content of [offset, offset+n), built from the regions.
  auto expected = [&regions](off_t offset, size_t n) {
    std::string out(n, '\0');
    for (const auto& r : regions) {
      off_t lo = std::max(offset, r.offset);
      off_t hi = std::min<off_t>(offset + n, r.offset + r.data.size());
      if (lo < hi)
        std::copy_n(r.data.data() + (lo - r.offset), hi - lo, out.data() + (lo - offset));
    }
    return out;
  };
  // Compared window by window rather than by hash: hashing 4 GiB of zeros twice costs seconds
  // of CPU, and a window comparison also says where the content went wrong.
  {
    Fd fd = open_or_die(s, O_RDONLY);
    drop_cache(fd.get());
    std::string buf(1 << 20, '\0');
    off_t off = 0;
    int bad_windows = 0;
    for (;;) {
      ssize_t n = read(fd.get(), buf.data(), buf.size());
      int e = errno;  // before doctest runs: its messages are built lazily
      REQUIRE_MESSAGE(n >= 0, "read at " << off << ": " << errno_name(e));
      if (n == 0) break;
      std::string_view got(buf.data(), n);
      if (got != expected(off, n) && ++bad_windows <= 3) CHECK_BYTES(got, expected(off, n));
      off += n;
    }
    CHECK_EQ(bad_windows, 0);
    CHECK_EQ(off, sparse_size);
  }

  if (!fx.real()) return;
  fx.remount();
  CHECK_EQ(hash_file(f, 1 << 20), big_hash);
  Fd fd = open_or_die(s, O_RDONLY);
  CHECK_EQ(fstat_of(fd.get()).st_size, sparse_size);
  for (const auto& r : regions) {
    off_t from = std::max<off_t>(0, r.offset - 100);
    size_t n = r.data.size() + 200;
    CHECK_BYTES(read_at(fd.get(), from, n), expected(from, n).substr(0, sparse_size - from));
  }
  CHECK_BYTES(read_at(fd.get(), four_g / 2, kChunk), std::string(kChunk, '\0'));
}

}  // namespace peerstore::test
