// File content through FileSystem: small files live inline in the inode record (up to 4096
// bytes), larger ones in 64 KiB chunks; writes and reads at odd offsets across both limits,
// truncation, sparse files and hole punching must all read back exactly what a model file
// holds. Every check is repeated after a commit and reopen, where content comes from sealed
// blocks instead of memory.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/falloc.h>

#include <map>
#include <mutex>
#include <random>

#include "../common/must.h"
#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;
constexpr uint64_t kChunk = ChunkTree::kChunkSize;

// The file as it should be.
struct ModelFile {
  Bytes data;
  void write(uint64_t off, const Bytes& b) {
    if (data.size() < off + b.size()) data.resize(off + b.size(), 0);
    std::copy(b.begin(), b.end(), data.begin() + long(off));
  }
  void truncate(uint64_t size) { data.resize(size, 0); }
  Bytes slice(uint64_t off, size_t n) const {
    if (off >= data.size()) return {};
    return Bytes(data.begin() + long(off),
                 data.begin() + long(std::min<uint64_t>(data.size(), off + n)));
  }
};

void check_reads(FsHarness& h, uint64_t ino, const ModelFile& m) {
  CHECK(uint64_t(h.stat(ino).st_size) == m.data.size());
  CHECK(h.read_all(ino) == m.data);
  const uint64_t offs[] = {0, 1, 4095, 4096, 4097, kChunk - 1, kChunk, kChunk + 1, 2 * kChunk - 3};
  const size_t sizes[] = {1, 3, 4096, kChunk + 7};
  for (uint64_t off : offs)
    for (size_t n : sizes) {
      CAPTURE(off);
      CAPTURE(n);
      CHECK(h.read(ino, off, n) == m.slice(off, n));
    }
  uint64_t end = m.data.size();
  CHECK(h.read(ino, end, 10).empty());
  CHECK(h.read(ino, end + 100000, 10).empty());
  if (end > 0) CHECK(h.read(ino, end - 1, 10) == m.slice(end - 1, 10));
}

TEST_CASE("FileSystem: writes and reads across the inline limit and chunk boundaries") {
  FsHarness h;
  uint64_t ino = h.create(kRoot, "f");
  ModelFile m;
  CHECK(h.read_all(ino).empty());
  // Each write is chosen to straddle something: the inline limit, a chunk edge, two edges.
  const std::pair<uint64_t, size_t> writes[] = {
      {0, 100},           // inline
      {4000, 96},         // up to exactly 4096: still inline
      {4095, 2},          // crosses 4096: becomes chunked
      {kChunk - 10, 20},  // crosses the first chunk edge
      {2 * kChunk - 1, 1},
      {2 * kChunk, kChunk + 5},  // a whole chunk plus a little
      {7, 3},
      {5 * kChunk + 123, 4567},  // past EOF: leaves a hole
  };
  uint32_t seed = 1;
  for (auto [off, n] : writes) {
    CAPTURE(off);
    Bytes b = pattern(n, seed++);
    h.write(ino, off, b);
    m.write(off, b);
    check_reads(h, ino, m);
  }
  h.reopen();
  check_reads(h, ino, m);
}

TEST_CASE("FileSystem: a file of exactly 4096 bytes, then one more byte") {
  FsHarness h;
  uint64_t ino = h.create(kRoot, "f");
  ModelFile m;
  Bytes b = pattern(4096, 3);
  h.write(ino, 0, b);
  m.write(0, b);
  h.reopen();
  check_reads(h, ino, m);
  h.write(ino, 4096, to_bytes("!"));
  m.write(4096, to_bytes("!"));
  check_reads(h, ino, m);
  h.reopen();
  check_reads(h, ino, m);
}

TEST_CASE("FileSystem: random writes, truncates and commits agree with a model") {
  for (uint64_t seed : {0xf11eull, 0xbeefull, 0x5eedull}) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    FsHarness h;
    uint64_t ino = h.create(kRoot, "f");
    ModelFile m;
    for (int op = 0; op < 1500; ++op) {
      CAPTURE(op);
      int what = int(rng() % 100);
      if (what < 55) {
        // Offsets cluster near the interesting edges half of the time.
        uint64_t off =
            rng() % 2 ? rng() % (5 * kChunk) : (rng() % 6) * kChunk + 4096 - 8 + rng() % 16;
        size_t n = 1 + (rng() % 3 == 0 ? rng() % (kChunk + 100) : rng() % 5000);
        Bytes b = pattern(n, uint32_t(rng()));
        h.write(ino, off, b);
        m.write(off, b);
      } else if (what < 65) {
        uint64_t size = rng() % 2 ? rng() % 8192 : rng() % (6 * kChunk);
        h.truncate(ino, size);
        m.truncate(size);
      } else if (what < 70) {
        uint64_t off = rng() % (6 * kChunk), len = rng() % (2 * kChunk);
        int mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
        REQUIRE(h.fs->fallocate(ino, mode, off, len) == 0);
        if (off < m.data.size())
          m.write(off, Bytes(std::min<uint64_t>(len, m.data.size() - off), 0));
      } else if (what < 90) {
        uint64_t off = rng() % (m.data.size() + 10);
        size_t n = rng() % (2 * kChunk);
        REQUIRE(h.read(ino, off, n) == m.slice(off, n));
      } else if (what < 97) {
        REQUIRE(h.fs->commit() == 0);
      } else {
        h.reopen();
      }
    }
    check_reads(h, ino, m);
    h.reopen();
    check_reads(h, ino, m);
  }
}

TEST_CASE("FileSystem: truncate down then up reads zeros, inline and chunked") {
  for (size_t size : {size_t(3000), size_t(3 * kChunk + 100)}) {
    for (bool commit_between : {false, true}) {
      CAPTURE(size);
      CAPTURE(commit_between);
      FsHarness h;
      uint64_t ino = h.create(kRoot, "f");
      Bytes b = pattern(size, 4);
      h.write(ino, 0, b);
      if (commit_between) REQUIRE(h.fs->commit() == 0);
      uint64_t cut = size > kChunk ? kChunk + 77 : 10;  // in the middle of a chunk
      h.truncate(ino, cut);
      if (commit_between) h.reopen();
      CHECK(h.read_all(ino) == Bytes(b.begin(), b.begin() + long(cut)));
      h.truncate(ino, size);
      Bytes expect(b.begin(), b.begin() + long(cut));
      expect.resize(size, 0);
      CHECK(h.read_all(ino) == expect);
      h.reopen();
      CHECK(h.read_all(ino) == expect);
      h.truncate(ino, 0);
      CHECK(h.stat(ino).st_size == 0);
      CHECK(h.read(ino, 0, 100).empty());
    }
  }
}

TEST_CASE("FileSystem: a sparse write at 10 GiB") {
  FsHarness h;
  uint64_t ino = h.create(kRoot, "sparse");
  const uint64_t far = uint64_t(10) << 30;
  h.write(ino, far, "tail");
  h.write(ino, 0, "head");
  auto check = [&] {
    struct stat st = h.stat(ino);
    CHECK(uint64_t(st.st_size) == far + 4);
    CHECK(st.st_blocks < 1024);  // holes cost nothing
    CHECK(h.read(ino, far, 100) == to_bytes("tail"));
    CHECK(h.read(ino, 0, 4) == to_bytes("head"));
    CHECK(h.read(ino, far / 2, 70000) == Bytes(70000, 0));
    CHECK(h.read(ino, far - 3, 5) == Bytes{0, 0, 0, 't', 'a'});
  };
  check();
  h.reopen();
  check();
  CHECK(must(h.store.stats()).block_bytes < (1 << 20));  // no 10 GiB of zeros in the store
}

TEST_CASE("FileSystem: the last byte below the maximum file size") {
  FsHarness h;
  uint64_t ino = h.create(kRoot, "huge");
  const uint64_t last = FileSystem::kMaxFileSize - 1;
  h.write(ino, last, "z");  // the deepest chunk tree a file can have
  CHECK(uint64_t(h.stat(ino).st_size) == FileSystem::kMaxFileSize);
  h.reopen();
  CHECK(h.read(ino, last - 1, 10) == Bytes{0, 'z'});
  h.write(ino, 0, "a");
  h.reopen();
  CHECK(h.read(ino, 0, 2) == Bytes{'a', 0});
  CHECK(h.read(ino, last, 1) == to_bytes("z"));
}

TEST_CASE("FileSystem: punching holes and zeroing ranges") {
  FsHarness h;
  uint64_t ino = h.create(kRoot, "f");
  ModelFile m;
  Bytes b = pattern(4 * kChunk, 5);
  h.write(ino, 0, b);
  m.write(0, b);
  REQUIRE(h.fs->commit() == 0);
  // A whole chunk, a partial chunk, and a range across an edge.
  const std::pair<uint64_t, uint64_t> holes[] = {{kChunk, kChunk}, {10, 100}, {3 * kChunk - 5, 10}};
  for (auto [off, len] : holes) {
    REQUIRE(h.fs->fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) == 0);
    m.write(off, Bytes(len, 0));
  }
  check_reads(h, ino, m);
  // Punching past EOF with KEEP_SIZE changes nothing; ZERO_RANGE without it extends.
  REQUIRE(h.fs->fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 5 * kChunk, 10) == 0);
  REQUIRE(h.fs->fallocate(ino, FALLOC_FL_ZERO_RANGE, 4 * kChunk - 1, 11) == 0);
  m.write(4 * kChunk - 1, Bytes(11, 0));
  // Plain fallocate extends with zeros; punching without KEEP_SIZE is not allowed.
  REQUIRE(h.fs->fallocate(ino, 0, 4 * kChunk + 10, 50) == 0);
  m.truncate(4 * kChunk + 60);
  CHECK(h.fs->fallocate(ino, FALLOC_FL_PUNCH_HOLE, 0, 10) == EOPNOTSUPP);
  check_reads(h, ino, m);
  h.reopen();
  check_reads(h, ino, m);
}

TEST_CASE("FileSystem: punching a hole in an inline file") {
  FsHarness h;
  uint64_t ino = h.create(kRoot, "small");
  h.write(ino, 0, "0123456789");
  REQUIRE(h.fs->fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3) == 0);
  CHECK(h.read_all(ino) == Bytes{'0', '1', 0, 0, 0, '5', '6', '7', '8', '9'});
}

// A file extended by truncate (no data written) has no chunks; after a reopen its record has
// neither chunks nor inline bytes but a large size. Punching a hole in it must not touch the
// (empty) inline buffer.
TEST_CASE("FileSystem: punching a hole in a reopened file that is all hole") {
  // Built inside the child: forking a process whose FileSystem already runs worker threads
  // is not safe.
  std::string outcome = run_in_child([] {
    FsHarness h;
    uint64_t ino = h.create(kRoot, "empty-but-big");
    h.truncate(ino, 1 << 20);
    h.reopen();
    int rc = h.fs->fallocate(ino, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 10);
    Bytes out;
    return rc == 0 && h.fs->read(ino, 0, 200, &out) == 0 && out == Bytes(200, 0);
  });
  CHECK(outcome == "ok");
}

TEST_CASE("FileSystem: statfs reports a 4 KiB block file system with long names") {
  FsHarness h;
  struct statvfs st {};
  REQUIRE(h.fs->statfs(&st) == 0);
  CHECK(st.f_bsize == 4096);
  CHECK(st.f_frsize == 4096);
  CHECK(st.f_namemax == NAME_MAX);
  CHECK(st.f_blocks > 0);  // the host's capacity ("/" in these tests)
  CHECK(st.f_bavail <= st.f_blocks);
  CHECK(st.f_files > st.f_ffree);
}

TEST_CASE("FileSystem: content errors") {
  FsHarness h;
  uint64_t dir = h.mkdir(kRoot, "d");
  Bytes out;
  CHECK(h.fs->read(dir, 0, 10, &out) == EISDIR);
  CHECK(h.fs->write(dir, 0, to_bytes("x")) == -EISDIR);
  CHECK(h.fs->open(dir, O_RDONLY) == EISDIR);
  uint64_t link = h.symlink(kRoot, "l", "target");
  CHECK(h.fs->write(link, 0, to_bytes("x")) == -EINVAL);
  uint64_t f = h.create(kRoot, "f");
  CHECK(h.fs->write(f, FileSystem::kMaxFileSize, to_bytes("x")) == -EFBIG);
  CHECK(h.fs->write(f, ~0ull - 1, to_bytes("xyz")) == -EFBIG);  // offset + size overflows
  struct stat in {
  }, st{};
  in.st_size = off_t(FileSystem::kMaxFileSize + 1);
  CHECK(h.fs->setattr(f, in, FUSE_SET_ATTR_SIZE, &st) == EFBIG);
  in.st_size = 5;
  CHECK(h.fs->setattr(dir, in, FUSE_SET_ATTR_SIZE, &st) == EISDIR);
  CHECK(h.fs->write(f, 0, ByteView()) == 0);
  CHECK(h.fs->read(999999, 0, 1, &out) == ENOENT);
}

TEST_CASE("FileSystem: an open file stays readable after its last name is gone") {
  FsHarness h;
  uint64_t ino = h.create(kRoot, "f");
  Bytes b = pattern(100000, 6);
  h.write(ino, 0, b);
  REQUIRE(h.fs->commit() == 0);
  REQUIRE(h.fs->open(ino, O_RDONLY) == 0);
  REQUIRE(h.fs->unlink(kRoot, "f") == 0);
  CHECK(h.lookup(kRoot, "f") == 0);
  CHECK(h.stat(ino).st_nlink == 0);
  CHECK(h.read_all(ino) == b);
  h.write(ino, 0, "still writable");
  REQUIRE(h.fs->commit() == 0);
  CHECK(h.read(ino, 0, 14) == to_bytes("still writable"));
  REQUIRE(h.fs->release(ino) == 0);
  h.reopen();
  CHECK(h.list(kRoot).empty());
}

TEST_CASE("FileSystem: open with O_TRUNC empties the file") {
  // libfuse 3 asks for FUSE_CAP_ATOMIC_O_TRUNC: the kernel passes O_TRUNC to open.
  FsHarness h;
  uint64_t ino = h.create(kRoot, "f");
  h.write(ino, 0, Bytes(100000, 7));
  REQUIRE(h.fs->release(ino) == 0);
  REQUIRE(h.fs->commit() == 0);
  REQUIRE(h.fs->open(ino, O_WRONLY | O_TRUNC) == 0);
  CHECK(h.stat(ino).st_size == 0);
  h.write(ino, 0, std::string("hi"));
  REQUIRE(h.fs->release(ino) == 0);
  REQUIRE(h.fs->open(ino, O_RDONLY | O_TRUNC) == 0);  // Linux empties it too
  REQUIRE(h.fs->release(ino) == 0);
  h.reopen();
  CHECK(h.stat(ino).st_size == 0);
  // A write-only open without O_TRUNC keeps what is there.
  h.write(ino, 0, std::string("kept"));
  REQUIRE(h.fs->open(ino, O_WRONLY) == 0);
  REQUIRE(h.fs->release(ino) == 0);
  h.reopen();
  CHECK(h.read_all(ino) == to_bytes("kept"));
}

// Counts how many times each block is written.
struct WriteCountingStore final : ForwardingStore {
  explicit WriteCountingStore(LocalStore& inner) : ForwardingStore(inner) {}
  std::mutex m;
  std::map<BlockId, int> writes;
  Status write(const WriteBatch& batch) override {
    {
      std::lock_guard lk(m);
      for (auto& b : batch.blocks) ++writes[b.id];
    }
    return inner_.write(batch);
  }
};

TEST_CASE("FileSystem: a chunk still being sealed when a commit comes is sealed and written once") {
  // The background sealer takes a chunk written up to its end; a commit right after must not
  // seal it again beside it (it would be written, claimed and uploaded twice, and a collection
  // that began in between would see it written anew). Each round races the two.
  MemoryStore mem;
  WriteCountingStore store(mem);
  auto fs = open_fs(store);
  std::mt19937_64 rng(11);
  for (int round = 0; round < 20; ++round) {
    EntryOut e;
    REQUIRE(fs->create(root_caller(), NodeTable::kRootIno, "f" + std::to_string(round), 0644,
                       O_RDWR, &e) == 0);
    Bytes data(4 * kChunk);
    for (auto& b : data) b = uint8_t(rng());
    REQUIRE(fs->write(e.ino, 0, data) == ssize_t(data.size()));
    REQUIRE(fs->commit() == 0);
    REQUIRE(fs->release(e.ino) == 0);
    REQUIRE(fs->commit() == 0);  // whatever a late sealer queued would be written here
  }
  std::lock_guard lk(store.m);
  size_t twice = 0;
  for (auto& [id, n] : store.writes) twice += n > 1;
  CHECK_MESSAGE(twice == 0, twice << " blocks were written more than once");
}

}  // namespace
}  // namespace peerstore
