// ChunkTree maps chunk indices of a file to sealed blocks through a radix tree of pointer
// blocks. The tests pin the depth rules (0 for a one-chunk file, then one level per 1024x),
// the load/flush round trip, holes, and the copy-on-write promise: changing one chunk reseals
// only that chunk and the nodes above it.
#include <doctest/doctest.h>

#include <set>

#include "../common/must.h"
#include "fs/chunk_tree.h"
#include "io_harness.h"

namespace peerstore {
namespace {

using test::must;
using test::IoHarness;
constexpr uint64_t kChunk = ChunkTree::kChunkSize;

std::shared_ptr<Bytes> chunk_of(uint64_t idx, uint8_t salt = 0) {
  auto b = std::make_shared<Bytes>(kChunk);
  for (size_t i = 0; i < kChunk; i += 4096) (*b)[i] = uint8_t(idx * 7 + i / 4096 + salt);
  put_u64be(b->data(), idx);  // every chunk distinct: no dedup between them
  (*b)[8] = salt;
  return b;
}

// Flushes a tree holding exactly `indices`; returns (root, depth).
std::pair<std::optional<BlockPtr>, uint32_t> build(IoHarness& h, const std::vector<uint64_t>& indices) {
  ChunkTree t(h.io);
  for (uint64_t i : indices) t.at(i).buf = chunk_of(i);
  uint64_t size = (indices.back() + 1) * kChunk;
  auto r = t.flush(size);
  REQUIRE(r.ok());
  return *r;
}

void check_loaded(IoHarness& h, const std::optional<BlockPtr>& root, uint32_t depth,
                  const std::vector<uint64_t>& indices) {
  ChunkTree t(h.io);
  REQUIRE(t.load(root, depth).ok());
  std::set<uint64_t> got;
  for (auto& [idx, slot] : t.slots()) {
    got.insert(idx);
    REQUIRE(slot.ptr.has_value());
    CHECK_FALSE(slot.buf);
    auto plain = h.io.read(*slot.ptr);
    REQUIRE(plain.ok());
    CHECK(*plain == *chunk_of(idx));
  }
  CHECK(got == std::set<uint64_t>(indices.begin(), indices.end()));
  // Holes stay holes.
  for (uint64_t hole : {1ull, 4ull, 6ull, 1023ull, 1024ull, 1499ull, 1501ull, 1048576ull, 1999999ull})
    if (!got.count(hole)) CHECK(t.find(hole) == nullptr);
}

TEST_CASE("ChunkTree: depth grows with the highest chunk index; load/flush round trip") {
  IoHarness h;
  const std::vector<std::pair<std::vector<uint64_t>, uint32_t>> cases = {
      {{0}, 0},                     // the root is chunk 0 itself
      {{0, 5}, 1},                  // one pointer node
      {{0, 5, 1500}, 2},            // 1500 >= 1024
      {{0, 5, 1500, 2000000}, 3},   // 2,000,000 >= 1024^2
      {{5}, 1},                     // a leading hole
      {{2000000}, 3},               // nothing but one far chunk
  };
  for (auto& [indices, depth] : cases) {
    CAPTURE(indices.back());
    auto [root, d] = build(h, indices);
    REQUIRE(root.has_value());
    CHECK(d == depth);
    h.persist();
    check_loaded(h, root, d, indices);
  }
}

TEST_CASE("ChunkTree: an empty tree has no root") {
  IoHarness h;
  ChunkTree t(h.io);
  auto r = t.flush(0);
  REQUIRE(r.ok());
  CHECK_FALSE(r->first.has_value());
  CHECK(r->second == 0);
  REQUIRE(t.load(std::nullopt, 0).ok());
  CHECK(t.chunk_count() == 0);
}

TEST_CASE("ChunkTree: changing one chunk reseals O(depth) blocks") {
  IoHarness h;
  std::vector<uint64_t> indices = {0, 5, 1500, 2000000};
  for (uint64_t i = 100; i < 130; ++i) indices.push_back(i);  // a populated first node
  std::sort(indices.begin(), indices.end());
  auto [root, depth] = build(h, indices);
  REQUIRE(depth == 3);
  uint64_t before = h.persist();
  CHECK(before == indices.size() + 3 /*level 1 nodes*/ + 2 /*level 2 nodes*/ + 1 /*root*/);

  ChunkTree t(h.io);
  REQUIRE(t.load(root, depth).ok());
  t.at(5).buf = chunk_of(5, 1);
  auto r = t.flush(2000001 * kChunk);
  REQUIRE(r.ok());
  CHECK(r->second == 3);
  CHECK(*r->first != *root);
  uint64_t after = h.persist();
  CHECK(after - before == depth + 1);  // the chunk, its level-1 and level-2 nodes, the root

  // Flushing again with nothing changed writes nothing and returns the same root.
  auto again = t.flush(2000001 * kChunk);
  REQUIRE(again.ok());
  CHECK(*again->first == *r->first);
  CHECK(h.persist() == after);

  // Reload: the change is there, the rest unchanged.
  ChunkTree reloaded(h.io);
  REQUIRE(reloaded.load(r->first, r->second).ok());
  CHECK(must(h.io.read(*reloaded.find(5)->ptr)) == *chunk_of(5, 1));
  CHECK(must(h.io.read(*reloaded.find(1500)->ptr)) == *chunk_of(1500));
}

TEST_CASE("ChunkTree: erasing chunks shrinks the tree and makes holes") {
  IoHarness h;
  auto [root, depth] = build(h, {0, 5, 1500, 2000000});
  h.persist();
  ChunkTree t(h.io);
  REQUIRE(t.load(root, depth).ok());
  t.erase_from(1500);
  t.erase(0);
  auto r = t.flush(6 * kChunk);
  REQUIRE(r.ok());
  CHECK(r->second == 1);
  h.persist();
  ChunkTree back(h.io);
  REQUIRE(back.load(r->first, r->second).ok());
  CHECK(back.chunk_count() == 1);
  CHECK(back.find(0) == nullptr);
  REQUIRE(back.find(5) != nullptr);
  CHECK(must(h.io.read(*back.find(5)->ptr)) == *chunk_of(5));
}

TEST_CASE("ChunkTree: flush trims the last chunk to the file size") {
  IoHarness h;
  ChunkTree t(h.io);
  t.at(0).buf = chunk_of(0);
  t.at(1).buf = chunk_of(1);
  auto r = t.flush(kChunk + 10);
  REQUIRE(r.ok());
  h.persist();
  ChunkTree back(h.io);
  REQUIRE(back.load(r->first, r->second).ok());
  CHECK(must(h.io.read(*back.find(0)->ptr)).size() == kChunk);
  auto last = h.io.read(*back.find(1)->ptr);
  REQUIRE(last.ok());
  auto full = chunk_of(1);
  CHECK(*last == Bytes(full->begin(), full->begin() + 10));
}

TEST_CASE("ChunkTree: a damaged or oversized tree is rejected") {
  IoHarness h;
  auto [root, depth] = build(h, {0, 5});
  h.persist();
  ChunkTree t(h.io);
  CHECK(t.load(root, ChunkTree::kMaxDepth + 1).code() == Errc::corrupt);
  CHECK(t.load(root, 2).code() == Errc::corrupt);  // a level-1 node read as level 2
  BlockPtr bad = *root;
  bad.key[3] ^= 1;
  CHECK(t.load(bad, 1).code() == Errc::corrupt);
}

}  // namespace
}  // namespace peerstore
