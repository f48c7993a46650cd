// Random writes through FileSystem (docs/performance.md, Random writes): a write into part of a
// sealed chunk keeps the segments it wrote as a patch over the block, reading at most the one
// segment it covers in part and never the whole chunk, until a commit seals the chunk (reading
// only the segments it lacks, copied out of the store); a commit with many dirty chunks seals
// them on the sealer threads while writes go on; and everything reads back as a model file
// does, before and after commits and reopening.
#include <doctest/doctest.h>
#include <fuse_lowlevel.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;
constexpr uint64_t kChunk = ChunkTree::kChunkSize;
constexpr size_t kSeg = ChunkPatch::kSegment;

// Counts whole-block reads (get, and view through it) and part reads.
struct ReadCountingStore final : ForwardingStore {
  explicit ReadCountingStore(LocalStore& inner) : ForwardingStore(inner) {}
  std::atomic<int> whole{0}, parts{0};
  Result<Bytes> get(const BlockId& id) override {
    ++whole;
    return inner_.get(id);
  }
  Status read_part(const BlockId& id, size_t off, size_t len, uint8_t* out, size_t* size) override {
    ++parts;
    return inner_.read_part(id, off, len, out, size);
  }
};

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

void write_at(FileSystem& fs, uint64_t ino, uint64_t off, const Bytes& b) {
  REQUIRE(fs.write(ino, off, b) == ssize_t(b.size()));
}

Bytes read_at(FileSystem& fs, uint64_t ino, uint64_t off, size_t n) {
  Bytes out;
  REQUIRE(fs.read(ino, off, n, &out) == 0);
  return out;
}

TEST_CASE("FileSystem: writes into sealed chunks read no chunk whole until the commit seals it") {
  MemoryStore mem;
  ReadCountingStore store(mem);
  std::mt19937_64 rng(3);
  const size_t chunks = 48;  // past kPresealAt: the commit seals them on the sealer threads
  Bytes model = random_bytes(rng, chunks * kChunk - 1000);
  uint64_t ino;
  {
    auto fs = open_fs(store);
    EntryOut e;
    REQUIRE(fs->create(root_caller(), kRoot, "f", 0644, O_RDWR, &e) == 0);
    ino = e.ino;
    write_at(*fs, ino, 0, model);
    REQUIRE(fs->commit() == 0);
  }
  auto fs = open_fs(store);
  REQUIRE(read_at(*fs, ino, 0, 10).size() == 10);  // loads the file's tree
  store.whole = 0;
  store.parts = 0;
  // A whole segment of each chunk, and ten writes of part of a segment.
  for (size_t c = 0; c < chunks; ++c) {
    uint64_t off = c * kChunk + (rng() % 15) * kSeg;
    Bytes b = random_bytes(rng, kSeg);
    write_at(*fs, ino, off, b);
    std::copy(b.begin(), b.end(), model.begin() + long(off));
  }
  for (size_t i = 0; i < 10; ++i) {
    uint64_t off = (rng() % chunks) * kChunk + 15 * kSeg + 100 + i;
    Bytes b = random_bytes(rng, 50);
    write_at(*fs, ino, off, b);
    std::copy(b.begin(), b.end(), model.begin() + long(off));
  }
  CHECK(store.whole == 0);
  CHECK(store.parts <= 10);  // one segment for each write of part of one it had not written
  // Reads merge the patch with the blocks.
  for (size_t c = 0; c < chunks; c += 7)
    CHECK(read_at(*fs, ino, c * kChunk, kChunk) ==
          Bytes(model.begin() + long(c * kChunk),
                model.begin() + long(std::min<uint64_t>(model.size(), (c + 1) * kChunk))));
  CHECK(store.whole == 0);
  int parts_before = store.parts;
  REQUIRE(fs->commit() == 0);
  // Each chunk read once, to be sealed: only the segments around its patch (a part each side
  // of one or two segments), copied out of the store.
  CHECK(store.whole == 0);
  CHECK(store.parts - parts_before >= int(chunks));
  CHECK(store.parts - parts_before <= 3 * int(chunks));
  Bytes all = read_at(*fs, ino, 0, model.size() + 10);
  CHECK(all == model);
  fs.reset();
  fs = open_fs(store);
  CHECK(read_at(*fs, ino, 0, model.size()) == model);
}

TEST_CASE("FileSystem: random writes while commits seal on the sealer threads agree with a model") {
  MemoryStore mem;
  auto fs = open_fs(mem);
  std::mt19937_64 rng(5);
  const size_t chunks = 80;
  Bytes model = random_bytes(rng, chunks * kChunk);
  EntryOut e;
  REQUIRE(fs->create(root_caller(), kRoot, "f", 0644, O_RDWR, &e) == 0);
  write_at(*fs, e.ino, 0, model);
  REQUIRE(fs->commit() == 0);
  std::atomic<bool> done{false};
  std::atomic<int> failed_commits{0};
  std::thread committer([&] {
    while (!done) failed_commits += fs->commit() != 0;
  });
  for (int i = 0; i < 6000; ++i) {
    // Mostly whole segments, some parts, some across a chunk's edge, some whole chunks, and
    // now and then a truncation (which turns a patch into a buffer) and a hole.
    int what = int(rng() % 100);
    if (what < 90) {
      uint64_t off = rng() % 4 ? (rng() % (chunks * 16)) * kSeg : rng() % (chunks * kChunk);
      size_t n = rng() % 3 ? kSeg : 1 + rng() % (2 * kSeg);
      if (what < 3) off = (rng() % chunks) * kChunk, n = kChunk;
      n = size_t(std::min<uint64_t>(n, chunks * kChunk - off));
      if (n == 0) continue;
      Bytes b = random_bytes(rng, n);
      write_at(*fs, e.ino, off, b);
      if (model.size() < off + n) model.resize(off + n, 0);
      std::copy(b.begin(), b.end(), model.begin() + long(off));
    } else if (what < 92) {
      uint64_t size = chunks * kChunk - rng() % (3 * kChunk);
      struct stat in {
      }, out{};
      in.st_size = off_t(size);
      REQUIRE(fs->setattr(e.ino, in, FUSE_SET_ATTR_SIZE, &out) == 0);
      model.resize(size, 0);
    } else {
      uint64_t off = rng() % model.size();
      Bytes got = read_at(*fs, e.ino, off, 3 * kSeg);
      REQUIRE(got == Bytes(model.begin() + long(off),
                           model.begin() + long(std::min<uint64_t>(model.size(), off + 3 * kSeg))));
    }
  }
  done = true;
  committer.join();
  CHECK(failed_commits == 0);
  CHECK(read_at(*fs, e.ino, 0, model.size() + 10) == model);
  REQUIRE(fs->commit() == 0);
  fs.reset();
  fs = open_fs(mem);
  CHECK(read_at(*fs, e.ino, 0, model.size() + 10) == model);
}

}  // namespace
}  // namespace peerstore
