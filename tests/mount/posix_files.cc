// Mount tests, regular files: open flags, reads and writes at any offset and size (around the
// 4096-byte inline limit and the 64 KiB chunk boundary), O_APPEND, truncation, sparse files,
// open-unlinked files and fallocate (fsync, locks, mmap, statfs and large files:
// posix_files_sync.cc). Every expectation here also holds on ext4/tmpfs (run with
// PEERSTORE_TEST_DIR to check).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

// Applies a pwrite to the in-memory model of the file.
void model_write(std::string& model, std::string_view data, size_t offset) {
  if (data.empty()) return;  // a zero-length write never extends a file
  if (model.size() < offset + data.size()) model.resize(offset + data.size(), '\0');
  std::copy(data.begin(), data.end(), model.begin() + offset);
}

}  // namespace

TEST_CASE("files: create and open flags with their errnos") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("f");
  Fd fd(open(f.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0640));
  int e = errno;  // before doctest runs: its messages are built lazily
  REQUIRE_MESSAGE(fd.valid(), errno_name(e));
  struct stat st = fstat_of(fd.get());
  CHECK(S_ISREG(st.st_mode));
  CHECK_EQ(st.st_mode & 07777, 0640u);
  CHECK_EQ(st.st_size, 0);
  CHECK_EQ(st.st_nlink, 1u);
  CHECK_EQ(st.st_uid, geteuid());
  CHECK_EQ(st.st_gid, getegid());
  CHECK_EQ(stat_of(f).st_ino, st.st_ino);

  CHECK_ERRNO(open(f.c_str(), O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
  CHECK_ERRNO(open(fx.path("missing").c_str(), O_RDONLY), ENOENT);
  CHECK_ERRNO(open(fx.path("missing/x").c_str(), O_RDWR | O_CREAT, 0644), ENOENT);
  CHECK_ERRNO(open((f + "/x").c_str(), O_RDONLY), ENOTDIR);
  CHECK_ERRNO(open((f + "/").c_str(), O_RDONLY), ENOTDIR);
  CHECK_ERRNO(open(f.c_str(), O_RDONLY | O_DIRECTORY), ENOTDIR);
  REQUIRE_OK(mkdir(fx.path("d").c_str(), 0755));
  CHECK_ERRNO(open(fx.path("d").c_str(), O_WRONLY), EISDIR);
  CHECK_ERRNO(open(fx.path("d").c_str(), O_RDWR), EISDIR);
  CHECK_ERRNO(open(fx.path("d").c_str(), O_RDONLY | O_CREAT, 0644), EISDIR);

  // Access modes are enforced per descriptor.
  write_at(fd.get(), "hello", 0);
  {
    Fd ro = open_or_die(f, O_RDONLY);
    CHECK_ERRNO(write(ro.get(), "x", 1), EBADF);
    Fd wo = open_or_die(f, O_WRONLY);
    char c;
    CHECK_ERRNO(read(wo.get(), &c, 1), EBADF);
  }
  // O_TRUNC empties the file, for this and every other descriptor.
  { Fd t = open_or_die(f, O_WRONLY | O_TRUNC); }
  CHECK_EQ(fstat_of(fd.get()).st_size, 0);
  CHECK_EQ(read_file(f), "");

  // The umask applies to created files and directories.
  {
    UmaskGuard mask(027);
    Fd g = open_or_die(fx.path("masked"), O_CREAT | O_WRONLY, 0666);
    CHECK_EQ(fstat_of(g.get()).st_mode & 07777, 0640u);
    REQUIRE_OK(mkdir(fx.path("masked-dir").c_str(), 0777));
    CHECK_EQ(stat_of(fx.path("masked-dir")).st_mode & 07777, 0750u);
  }
  // A created file opened read-write with mode 0 still works through that descriptor.
  Fd zero(open(fx.path("mode0").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0));
  REQUIRE(zero.valid());
  write_at(zero.get(), "x", 0);
  CHECK_EQ(read_at(zero.get(), 0, 1), "x");
  CHECK_EQ(fstat_of(zero.get()).st_mode & 07777, 0u);
}

TEST_CASE("files: writes and reads at any offset and size") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("model");
  Fd fd = open_or_die(f, O_CREAT | O_RDWR, 0644);
  std::string model;
  uint64_t seed = 1;
  auto apply = [&](size_t offset, size_t length) {
    CAPTURE(offset);
    CAPTURE(length);
    std::string data = random_bytes(length, seed++);
    write_at(fd.get(), data, offset);
    model_write(model, data, offset);
    CHECK_EQ(fstat_of(fd.get()).st_size, static_cast<off_t>(model.size()));
    CHECK_BYTES(read_at(fd.get(), offset, length), data);
  };

  SUBCASE("hand-picked edges") {
    const std::pair<size_t, size_t> ops[] = {
        {0, 1},                        // tiny inline file
        {0, kInlineMax - 1},           // just below the inline limit
        {kInlineMax - 1, 2},           // crosses the inline limit: 4097 bytes now
        {0, kInlineMax},               // overwrite exactly the inline size
        {10, 100},                     // overwrite inside
        {kChunk - 50, 100},            // unaligned write across the first chunk boundary
        {kChunk - 1, 1},               // last byte of chunk 0
        {kChunk, 1},                   // first byte of chunk 1
        {2 * kChunk - 3, kChunk + 6},  // spans three chunks, unaligned at both ends
        {300000, 0},                   // zero-length write past EOF does not extend
        {300001, 7},                   // leaves a hole
        {1, 300000},                   // large unaligned overwrite
        {5 * kChunk, kChunk},          // exactly one aligned chunk
        {7 * kChunk + 1, 3},
    };
    for (auto [offset, length] : ops) apply(offset, length);
    check_file(f, model);
  }
  SUBCASE("seeded random operations") {
    uint64_t state = 0x5eed;
    auto next = [&state](uint64_t bound) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      return (state >> 33) % bound;
    };
    const size_t lengths[] = {0, 1, 7, 4090, 4096, 4100, 65530, 65536, 65541};
    for (int i = 0; i < 150; ++i) {
      // A quarter of the writes start within 4 bytes of a chunk boundary.
      size_t offset = next(4) == 0 ? (next(8) + 1) * kChunk - 4 + next(9) : next(3 * kChunk);
      size_t length = next(2) ? lengths[next(std::size(lengths))] : next(200000);
      apply(offset, length);
      if (i % 25 == 24) check_file(f, model);
    }
    check_file(f, model);
  }
  // Reads at and around the end of the file.
  off_t size = static_cast<off_t>(model.size());
  char buf[16];
  CHECK_EQ(pread(fd.get(), buf, sizeof buf, size), 0);
  CHECK_EQ(pread(fd.get(), buf, sizeof buf, size + 100000), 0);
  CHECK_EQ(pread(fd.get(), buf, sizeof buf, size - 3), 3);
  // Reads of odd sizes around every chunk boundary.
  for (size_t b = kChunk; b < model.size(); b += kChunk) {
    CHECK_BYTES(read_at(fd.get(), b - 1, 2), model.substr(b - 1, 2));
    CHECK_BYTES(read_at(fd.get(), b - 4095, 8191), model.substr(b - 4095, 8191));
  }
  REQUIRE_OK(fd.close());
  check_file(f, model);
}

TEST_CASE("files: an inline file grows into a chunked one and truncates back") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("grow");
  Fd fd = open_or_die(f, O_CREAT | O_RDWR, 0644);
  std::string model = random_bytes(4000, 11);
  write_at(fd.get(), model, 0);
  check_file(f, model);

  std::string more = random_bytes(96, 12);
  write_at(fd.get(), more, 4000);  // exactly the inline limit
  model += more;
  check_file(f, model);

  write_at(fd.get(), "Z", kInlineMax);  // one past: now a chunked file
  model += "Z";
  check_file(f, model);

  REQUIRE_OK(ftruncate(fd.get(), kInlineMax));  // back to the limit
  model.resize(kInlineMax);
  check_file(f, model);
  REQUIRE_OK(ftruncate(fd.get(), kInlineMax - 1));
  model.resize(kInlineMax - 1);
  check_file(f, model);

  REQUIRE_OK(ftruncate(fd.get(), 70000));  // grow by truncate: zeros, across a chunk
  model.resize(70000, '\0');
  check_file(f, model);
  write_at(fd.get(), "0123456789", 69990);
  model.replace(69990, 10, "0123456789");
  check_file(f, model);

  REQUIRE_OK(ftruncate(fd.get(), 10));
  model.resize(10);
  check_file(f, model);
  REQUIRE_OK(ftruncate(fd.get(), 0));
  check_file(f, "");

  std::string big = random_bytes(5000, 13);
  write_at(fd.get(), big, 0);
  REQUIRE_OK(fd.close());
  REQUIRE_OK(truncate(f.c_str(), kInlineMax));
  check_file(f, big.substr(0, kInlineMax));
}

TEST_CASE("files: O_APPEND writes at the end whatever the offset") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("log");
  write_file(f, "abc");
  Fd a = open_or_die(f, O_WRONLY | O_APPEND);
  Fd b = open_or_die(f, O_WRONLY | O_APPEND);
  CHECK_EQ(write(a.get(), "1", 1), 1);
  CHECK_EQ(write(b.get(), "22", 2), 2);
  CHECK_EQ(write(a.get(), "333", 3), 3);
  CHECK_EQ(lseek(a.get(), 0, SEEK_CUR), 9);
  CHECK_EQ(lseek(a.get(), 0, SEEK_SET), 0);
  CHECK_EQ(write(a.get(), "X", 1), 1);  // the position is ignored
  CHECK_EQ(read_file(f), "abc122333X");

  // Appends that cross the inline limit and several chunk boundaries.
  std::string model = "abc122333X";
  for (int i = 0; i < 70; ++i) {
    std::string piece = random_bytes(1000 + i, 100 + i);
    Fd& w = i % 2 ? a : b;
    REQUIRE_EQ(write(w.get(), piece.data(), piece.size()), static_cast<ssize_t>(piece.size()));
    model += piece;
  }
  a.close();
  b.close();
  check_file(f, model);

  // O_APPEND|O_RDWR: reads follow the position, writes go to the end.
  Fd rw = open_or_die(f, O_RDWR | O_APPEND);
  char head[3];
  CHECK_EQ(read(rw.get(), head, 3), 3);
  CHECK_EQ(std::string(head, 3), "abc");
  CHECK_EQ(write(rw.get(), "END", 3), 3);
  CHECK_EQ(lseek(rw.get(), 0, SEEK_CUR), static_cast<off_t>(model.size() + 3));
  rw.close();
  check_file(f, model + "END");
}

TEST_CASE("files: truncate and ftruncate up and down") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("t");
  std::string data = random_bytes(200000, 21);
  write_file(f, data);
  std::string model = data;
  auto cut = [&](off_t size) {
    CAPTURE(size);
    REQUIRE_OK(truncate(f.c_str(), size));
    model.resize(size, '\0');
    check_file(f, model);
  };
  cut(100000);
  cut(150000);  // the old bytes past 100000 must not come back: zeros
  cut(kChunk + 1);
  cut(kChunk);
  cut(kChunk - 1);
  cut(2 * kChunk);
  cut(0);
  cut(5000);  // all zeros
  cut(kInlineMax + 1);

  Fd fd = open_or_die(f, O_RDWR);
  write_at(fd.get(), data, 0);
  model = data;
  REQUIRE_OK(ftruncate(fd.get(), 12345));
  REQUIRE_OK(ftruncate(fd.get(), 190000));
  model.resize(12345);
  model.resize(190000, '\0');
  CHECK_BYTES(read_at(fd.get(), 0, 200000), model);
  fd.close();
  check_file(f, model);

  // truncate updates mtime and ctime.
  struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
  REQUIRE_OK(utimensat(AT_FDCWD, f.c_str(), old, 0));
  REQUIRE_OK(truncate(f.c_str(), 100));
  CHECK_GT(stat_of(f).st_mtim.tv_sec, 1000000000);
  CHECK_GT(stat_of(f).st_ctim.tv_sec, 1000000000);

  CHECK_ERRNO(truncate(f.c_str(), -1), EINVAL);
  REQUIRE_OK(mkdir(fx.path("d").c_str(), 0755));
  CHECK_ERRNO(truncate(fx.path("d").c_str(), 0), EISDIR);
  CHECK_ERRNO(truncate(fx.path("missing").c_str(), 0), ENOENT);
  Fd ro = open_or_die(f, O_RDONLY);
  CHECK_ERRNO(ftruncate(ro.get(), 0), EINVAL);
}

TEST_CASE("files: a sparse file with data at 1 GiB") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("sparse");
  Fd fd = open_or_die(f, O_CREAT | O_RDWR, 0644);
  const off_t gib = off_t(1) << 30;
  write_at(fd.get(), "x", gib);
  REQUIRE_OK(fsync(fd.get()));
  struct stat st = fstat_of(fd.get());
  CHECK_EQ(st.st_size, gib + 1);
  CHECK_LT(st.st_blocks, 2048);  // under 1 MiB allocated for 1 byte of data
  CHECK_EQ(lseek(fd.get(), 0, SEEK_END), gib + 1);
  drop_cache(fd.get());
  std::string zeros(kChunk, '\0');
  CHECK_BYTES(read_at(fd.get(), 0, kChunk), zeros);
  CHECK_BYTES(read_at(fd.get(), gib / 2 + 12345, kChunk), zeros);
  CHECK_BYTES(read_at(fd.get(), gib - kChunk, kChunk + 1), zeros + "x");
  CHECK_BYTES(read_at(fd.get(), gib - 1, 100), std::string("\0x", 2));
  // Filling part of the hole keeps the rest a hole.
  write_at(fd.get(), "middle", gib / 2);
  CHECK_BYTES(read_at(fd.get(), gib / 2 - 2, 10), std::string("\0\0middle\0\0", 10));
  CHECK_EQ(fstat_of(fd.get()).st_size, gib + 1);

  // The other way round: a dense file reports blocks for its data (du, and cp's sparseness
  // guess, read st_blocks).
  std::string dense = fx.path("dense");
  write_file(dense, random_bytes(300000, 35));
  Fd dd = open_or_die(dense, O_RDONLY);
  REQUIRE_OK(fsync(dd.get()));
  CHECK_GE(fstat_of(dd.get()).st_blocks * 512, 300000);
}

TEST_CASE("files: an unlinked open file stays usable until closed") {
  MountFixture fx;
  if (!fx.usable()) return;
  REQUIRE_OK(mkdir(fx.path("u").c_str(), 0755));
  std::string f = fx.path("u/ghost");
  Fd fd = open_or_die(f, O_CREAT | O_RDWR, 0644);
  write_at(fd.get(), "before", 0);
  Fd reader = open_or_die(f, O_RDONLY);
  REQUIRE_OK(unlink(f.c_str()));
  CHECK_ERRNO(access(f.c_str(), F_OK), ENOENT);
  CHECK(dir_names(fx.path("u")).empty());  // no hidden stand-in names either
  CHECK_EQ(fstat_of(fd.get()).st_nlink, 0u);

  std::string big = random_bytes(3 * kChunk + 17, 31);
  write_at(fd.get(), big, 6);  // grows past the inline limit and across chunks
  std::string model = "before" + big;
  CHECK_EQ(fstat_of(fd.get()).st_size, static_cast<off_t>(model.size()));
  CHECK_BYTES(read_at(fd.get(), 0, model.size()), model);
  CHECK_BYTES(read_at(reader.get(), 0, model.size()), model);
  REQUIRE_OK(ftruncate(fd.get(), 100));
  CHECK_BYTES(read_at(reader.get(), 0, 1000), model.substr(0, 100));

  // A new file under the same name is a different file.
  write_file(f, "new");
  CHECK_NE(stat_of(f).st_ino, fstat_of(fd.get()).st_ino);
  CHECK_EQ(read_file(f), "new");
  CHECK_BYTES(read_at(fd.get(), 0, 1000), model.substr(0, 100));
  CHECK_EQ(fd.close(), 0);
  CHECK_EQ(reader.close(), 0);
  CHECK(dir_names(fx.path("u")) == std::vector<std::string>{"ghost"});
}

TEST_CASE("files: fallocate grows files and punches holes") {
  MountFixture fx;
  if (!fx.usable()) return;
  std::string f = fx.path("falloc");
  Fd fd = open_or_die(f, O_CREAT | O_RDWR, 0644);
  REQUIRE_OK(fallocate(fd.get(), 0, 0, 100000));
  CHECK_EQ(fstat_of(fd.get()).st_size, 100000);
  CHECK_BYTES(read_at(fd.get(), 0, 200000), std::string(100000, '\0'));
  REQUIRE_OK(fallocate(fd.get(), 0, 200000, 5));
  CHECK_EQ(fstat_of(fd.get()).st_size, 200005);
  REQUIRE_OK(fallocate(fd.get(), 0, 10, 10));  // inside: no change
  CHECK_EQ(fstat_of(fd.get()).st_size, 200005);

  std::string data = random_bytes(300000, 41);
  write_at(fd.get(), data, 0);
  // Unaligned, across chunk boundaries.
  REQUIRE_OK(fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 70000, 100000));
  std::string model = data;
  std::fill(model.begin() + 70000, model.begin() + 170000, '\0');
  CHECK_EQ(fstat_of(fd.get()).st_size, 300000);
  CHECK_BYTES(read_at(fd.get(), 0, 300000), model);
  // Past the end: the size stays.
  REQUIRE_OK(fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 290000, 100000));
  std::fill(model.begin() + 290000, model.end(), '\0');
  CHECK_EQ(fstat_of(fd.get()).st_size, 300000);
  fd.close();
  check_file(f, model);

  // A hole in an inline-size file.
  std::string g = fx.path("small");
  std::string small = random_bytes(3000, 42);
  write_file(g, small);
  Fd gd = open_or_die(g, O_RDWR);
  REQUIRE_OK(fallocate(gd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 100));
  std::fill(small.begin() + 100, small.begin() + 200, '\0');
  gd.close();
  check_file(g, small);

  // The kernel's own checks.
  Fd rw = open_or_die(g, O_RDWR);
  CHECK_ERRNO(fallocate(rw.get(), FALLOC_FL_PUNCH_HOLE, 0, 10), EOPNOTSUPP);
  CHECK_ERRNO(fallocate(rw.get(), 0, 0, 0), EINVAL);
  Fd ro = open_or_die(g, O_RDONLY);
  CHECK_ERRNO(fallocate(ro.get(), 0, 0, 10), EBADF);
}

}  // namespace peerstore::test
