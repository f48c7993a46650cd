// ChunkPatch: the segments written over a sealed chunk. What it holds, merged over the old
// block, must read as the model chunk does: whole segments written without reading anything,
// a segment written in part filled from the old block (zeros past the valid bytes, or without
// one), and a copy that changes independently of what a sealer holds.
#include "fs/chunk_patch.h"

#include <doctest/doctest.h>

#include <cstring>
#include <random>

#include "io_harness.h"

namespace peerstore {
namespace {

constexpr size_t kChunk = ChunkPatch::kChunk;
constexpr size_t kSeg = ChunkPatch::kSegment;

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng());
  return b;
}

TEST_CASE("chunk patch: writes over an old chunk read back as the model chunk") {
  test::IoHarness h;
  std::mt19937_64 rng(7);
  for (size_t valid : {kChunk, size_t(10000), size_t(0)}) {
    CAPTURE(valid);
    Bytes old = random_bytes(rng, valid);
    std::optional<BlockPtr> ptr;
    if (valid) ptr = *h.io.write(old);
    Bytes model(kChunk, 0);
    std::memcpy(model.data(), old.data(), old.size());
    ChunkPatch p;
    // A whole segment, a part of one, a range across two, and a write past the valid bytes.
    const std::pair<size_t, size_t> writes[] = {
        {8 * kSeg, kSeg}, {3 * kSeg + 100, 50}, {kSeg - 10, 30}, {12 * kSeg + 7, 9}};
    size_t segments = 0;
    for (auto [lo, n] : writes) {
      Bytes b = random_bytes(rng, n);
      auto added = p.write(h.io, ptr, valid, lo, b);
      REQUIRE(added.ok());
      segments += *added;
      std::memcpy(model.data() + lo, b.data(), n);
      // A later write beyond `valid` grows the file: the model's bytes there are zero already.
    }
    CHECK(segments == 5);
    CHECK(p.segments() == 5);
    CHECK(p.holds(8));
    CHECK_FALSE(p.holds(9));
    auto whole = p.materialize(h.io, ptr, valid);
    REQUIRE(whole.ok());
    CHECK(**whole == model);
    // What it holds is copied; what it lacks is listed, adjacent segments as one range.
    Bytes out(2 * kSeg + 20, 0xee);
    auto missing = p.copy_held(7 * kSeg - 10, 9 * kSeg + 10, out.data());
    REQUIRE(missing.size() == 2);
    CHECK(missing[0] == std::pair<size_t, size_t>{7 * kSeg - 10, 8 * kSeg});
    CHECK(missing[1] == std::pair<size_t, size_t>{9 * kSeg, 9 * kSeg + 10});
    CHECK(std::memcmp(out.data() + kSeg + 10, model.data() + 8 * kSeg, kSeg) == 0);
    CHECK(out[0] == 0xee);  // left alone
    // A copy changes on its own (a sealer holds the original).
    ChunkPatch copy(p);
    Bytes b = random_bytes(rng, kSeg);
    REQUIRE(copy.write(h.io, ptr, valid, 5 * kSeg, b).ok());
    CHECK(copy.segments() == 6);
    CHECK(p.segments() == 5);
    CHECK(**p.materialize(h.io, ptr, valid) == model);
  }
}

TEST_CASE("chunk patch: written all over, it is the chunk without the old block") {
  test::IoHarness h;
  std::mt19937_64 rng(9);
  ChunkPatch p;
  Bytes model = random_bytes(rng, kChunk);
  for (size_t s = ChunkPatch::kSegments; s-- > 0;)
    REQUIRE(p.write(h.io, std::nullopt, kChunk, s * kSeg, ByteView(model.data() + s * kSeg, kSeg))
                .ok());
  CHECK(p.full());
  CHECK(*p.take_whole() == model);
  // No old block is read for a full patch, so a missing one does not matter.
  BlockPtr gone;
  gone.id.b.fill(1);
  auto whole = p.materialize(h.io, gone, kChunk);
  REQUIRE(whole.ok());
  CHECK(**whole == model);
}

TEST_CASE("chunk patch: a write past its chunk, or a part read from a missing block, fails") {
  test::IoHarness h;
  ChunkPatch p;
  CHECK(p.write(h.io, std::nullopt, kChunk, kChunk - 2, Bytes(4, 1)).code() == Errc::invalid);
  BlockPtr gone;
  gone.id.b.fill(2);
  CHECK_FALSE(p.write(h.io, gone, kChunk, 5, Bytes(4, 1)).ok());
  CHECK(p.segments() == 0);                                       // nothing half-made stays
  CHECK(p.write(h.io, gone, kChunk, kSeg, Bytes(kSeg, 1)).ok());  // whole: nothing to read
}

}  // namespace
}  // namespace peerstore
