// CollectingStore: a sweep erases what the caller calls garbage, except blocks written since
// the collection opened, and a writer racing a sweep never loses a block it wrote. (The
// conformance suite runs it as a LocalStore.)
#include "store/collecting_store.h"

#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <set>
#include <thread>

#include "../common/must.h"
#include "store_makers.h"

namespace peerstore {
namespace {

using test::make_block;
using test::must;
using test::TestBlock;

// Block number i, distinct for every i (make_block's content repeats every 256 seeds).
TestBlock numbered_block(uint32_t i) {
  TestBlock b;
  b.data.resize(16);
  std::memcpy(b.data.data(), &i, sizeof i);
  crypto_generichash(b.id.b.data(), 32, b.data.data(), b.data.size(), nullptr, 0);
  return b;
}

void put(LocalStore& s, const TestBlock& b) {
  BlockRecord r[] = {b.record()};
  REQUIRE(s.put(r).ok());
}

std::set<BlockId> ids(LocalStore& s) {
  std::set<BlockId> out;
  REQUIRE(s.for_each_id([&](const BlockId& id, size_t) {
             out.insert(id);
             return true;
           }).ok());
  return out;
}

TEST_CASE("collecting store: a sweep keeps what was written since the collection opened") {
  MemoryStore inner;
  CollectingStore store(inner);
  std::vector<TestBlock> b;
  for (uint32_t i = 0; i < 12; ++i) b.push_back(make_block(i, 100 + i));
  for (int i = 0; i < 10; ++i) put(store, b[i]);
  store.open_collection();
  put(store, b[2]);   // written again: something refers to it anew
  put(store, b[11]);  // new
  std::set<BlockId> garbage;
  for (int i : {0, 1, 2, 3, 4, 5, 11}) garbage.insert(b[i].id);
  auto st = must(store.sweep([&](const BlockId& id) { return garbage.contains(id); }));
  store.close_collection();
  CHECK(st.erased == 5);
  CHECK(st.erased_bytes == 100 + 101 + 103 + 104 + 105);
  CHECK(st.kept_written == 2);
  std::set<BlockId> left;
  for (int i : {2, 6, 7, 8, 9, 11}) left.insert(b[i].id);
  CHECK(ids(store) == left);

  // Once closed, nothing is recorded: the next collection may erase b[2].
  put(store, b[2]);
  store.open_collection();
  st = must(store.sweep([&](const BlockId& id) { return id == b[2].id; }));
  CHECK(st.erased == 1);
  CHECK_FALSE(must(store.contains(b[2].id)));
  store.close_collection();
}

TEST_CASE("collecting store: a sweep larger than a batch and than a pass") {
  MemoryStore inner;
  CollectingStore store(inner);
  const uint32_t n = CollectingStore::kEraseBatch * 2 + 500;
  for (uint32_t i = 0; i < n; ++i) put(store, numbered_block(i));
  store.open_collection();
  auto st = must(store.sweep([](const BlockId& id) { return id.b[0] % 2 == 0; }));
  store.close_collection();
  std::set<BlockId> left = ids(store);
  CHECK(st.erased + left.size() == n);
  CHECK(st.erased > n / 3);
  for (const BlockId& id : left) CHECK(id.b[0] % 2 == 1);
}

TEST_CASE("collecting store: a writer racing a sweep never loses a block it wrote") {
  MemoryStore inner;
  CollectingStore store(inner);
  std::vector<TestBlock> blocks;
  for (uint32_t i = 0; i < 3000; ++i) blocks.push_back(numbered_block(i));
  for (auto& b : blocks) put(store, b);
  store.open_collection();
  std::atomic<bool> done = false;
  std::atomic<int> lost = 0;
  std::vector<BlockId> written;
  std::thread writer([&] {
    // Rewrites every third block while the sweep runs, and checks each is there after.
    for (size_t i = 0; i < blocks.size() && !done; i += 3) {
      BlockRecord r[] = {blocks[i].record()};
      if (!store.put(r).ok()) continue;
      written.push_back(blocks[i].id);
      auto has = store.contains(blocks[i].id);
      if (!has.ok() || !*has) ++lost;
    }
  });
  auto st = store.sweep([](const BlockId&) { return true; });  // everything is garbage
  done = true;
  writer.join();
  REQUIRE(st.ok());
  store.close_collection();
  CHECK(lost == 0);
  for (const BlockId& id : written) CHECK(must(store.contains(id)));
  MESSAGE("erased " << st->erased << ", kept " << st->kept_written << " written meanwhile");
}

}  // namespace
}  // namespace peerstore
