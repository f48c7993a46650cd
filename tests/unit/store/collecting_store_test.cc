// CollectingStore: a sweep, or a batch's guarded erase, erases what the caller calls garbage
// except blocks written after its mark; a writer racing either never loses a block it wrote;
// the write history is bounded and kept only while a mark is held. (The conformance suite runs
// it as a LocalStore.)
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

TEST_CASE("collecting store: a sweep keeps what was written after its mark") {
  MemoryStore inner;
  CollectingStore store(inner);
  std::vector<TestBlock> b;
  for (uint32_t i = 0; i < 12; ++i) b.push_back(make_block(i, 100 + i));
  for (int i = 0; i < 10; ++i) put(store, b[i]);
  auto mark = store.write_mark();
  put(store, b[2]);   // written again: something refers to it anew
  put(store, b[11]);  // new
  std::set<BlockId> garbage;
  for (int i : {0, 1, 2, 3, 4, 5, 11}) garbage.insert(b[i].id);
  auto st = must(store.sweep(*mark, [&](const BlockId& id) { return garbage.contains(id); }));
  CHECK(st.erased == 5);
  CHECK(st.erased_bytes == 100 + 101 + 103 + 104 + 105);
  CHECK(st.kept_written == 2);
  std::set<BlockId> left;
  for (int i : {2, 6, 7, 8, 9, 11}) left.insert(b[i].id);
  CHECK(ids(store) == left);

  // A write before a mark decides nothing for it: a later mark may erase b[2].
  mark.reset();
  CHECK(store.recorded() == 0);  // no mark held: nothing recorded
  put(store, b[2]);
  CHECK(store.recorded() == 0);
  auto later = store.write_mark();
  st = must(store.sweep(*later, [&](const BlockId& id) { return id == b[2].id; }));
  CHECK(st.erased == 1);
  CHECK_FALSE(must(store.contains(b[2].id)));
}

TEST_CASE("collecting store: a batch's guarded erase skips blocks written after its mark") {
  MemoryStore inner;
  CollectingStore store(inner);
  std::vector<TestBlock> b;
  for (uint32_t i = 0; i < 6; ++i) b.push_back(numbered_block(i));
  for (auto& t : b) put(store, t);
  auto mark = store.write_mark();
  put(store, b[1]);  // a writer stores b[1] anew after the decision to erase it
  WriteBatch erase;
  erase.erase = {b[0].id, b[1].id};
  erase.erase_guard = mark;
  REQUIRE(store.write(erase).ok());
  CHECK_FALSE(must(store.contains(b[0].id)));
  CHECK(must(store.contains(b[1].id)));
  // An erase and a put of one id in one guarded batch keeps it, as in any store.
  WriteBatch again;
  again.erase = {b[2].id};
  again.blocks = {b[2].record()};
  again.erase_guard = mark;
  REQUIRE(store.write(again).ok());
  CHECK(must(store.contains(b[2].id)));
  // Unguarded, an erase is an erase.
  WriteBatch plain;
  plain.erase = {b[1].id};
  REQUIRE(store.write(plain).ok());
  CHECK_FALSE(must(store.contains(b[1].id)));

  // A mark of another store vouches for nothing here: its erase erases nothing.
  MemoryStore other_inner;
  CollectingStore other(other_inner);
  WriteBatch foreign;
  foreign.erase = {b[3].id};
  foreign.erase_guard = other.write_mark();
  REQUIRE(store.write(foreign).ok());
  CHECK(must(store.contains(b[3].id)));
  CHECK(must(store.sweep(*foreign.erase_guard, [](const BlockId&) { return true; })).erased == 0);
  CHECK(ids(store).size() == 4);
}

TEST_CASE("collecting store: the history is bounded, and a mark it outgrew erases nothing") {
  MemoryStore inner;
  CollectingStore store(inner, /*max_recorded=*/100);
  for (uint32_t i = 0; i < 10; ++i) put(store, numbered_block(i));
  auto old = store.write_mark();
  for (uint32_t i = 100; i < 300; ++i) put(store, numbered_block(i));
  CHECK(store.recorded() <= 100);
  // The old mark cannot tell whether block 0 was written after it any more: kept.
  auto st = must(store.sweep(*old, [](const BlockId& id) { return id == numbered_block(0).id; }));
  CHECK(st.erased == 0);
  CHECK(st.kept_written == 1);
  WriteBatch erase;
  erase.erase = {numbered_block(1).id};
  erase.erase_guard = old;
  REQUIRE(store.write(erase).ok());
  CHECK(must(store.contains(numbered_block(1).id)));
  // A mark taken after those writes still vouches for what came after it.
  auto fresh = store.write_mark();
  put(store, numbered_block(2));
  st = must(store.sweep(*fresh, [](const BlockId& id) {
    return id == numbered_block(0).id || id == numbered_block(2).id;
  }));
  CHECK(st.erased == 1);
  CHECK(st.kept_written == 1);
  CHECK(must(store.contains(numbered_block(2).id)));
  // Releasing the old mark (the batch held it too) forgets what only it needed.
  erase.erase_guard.reset();
  old.reset();
  CHECK(store.recorded() <= 1);
}

TEST_CASE("collecting store: a sweep larger than a batch and than a pass") {
  MemoryStore inner;
  CollectingStore store(inner);
  const uint32_t n = CollectingStore::kEraseBatch * 2 + 500;
  for (uint32_t i = 0; i < n; ++i) put(store, numbered_block(i));
  auto mark = store.write_mark();
  auto st = must(store.sweep(*mark, [](const BlockId& id) { return id.b[0] % 2 == 0; }));
  std::set<BlockId> left = ids(store);
  CHECK(st.erased + left.size() == n);
  CHECK(st.erased > n / 3);
  for (const BlockId& id : left) CHECK(id.b[0] % 2 == 1);
}

// Blocks 0..n-1 (numbered_block), put in `store`.
std::vector<TestBlock> put_numbered(LocalStore& store, uint32_t n) {
  std::vector<TestBlock> blocks;
  for (uint32_t i = 0; i < n; ++i) blocks.push_back(numbered_block(i));
  for (auto& b : blocks) put(store, b);
  return blocks;
}

// A writer rewrites every third block while `erase_all` erases everything under a mark taken
// before; each block it wrote must be there after its write and at the end.
void race_writer_against(CollectingStore& store, const std::vector<TestBlock>& blocks,
                         const std::function<void()>& erase_all) {
  std::atomic<bool> done = false;
  std::atomic<int> lost = 0;
  std::vector<BlockId> written;
  std::thread writer([&] {
    for (size_t i = 0; i < blocks.size() && !done; i += 3) {
      BlockRecord r[] = {blocks[i].record()};
      if (!store.put(r).ok()) continue;
      written.push_back(blocks[i].id);
      auto has = store.contains(blocks[i].id);
      if (!has.ok() || !*has) ++lost;
    }
  });
  erase_all();
  done = true;
  writer.join();
  CHECK(lost == 0);
  for (const BlockId& id : written) CHECK(must(store.contains(id)));
}

TEST_CASE("collecting store: a writer racing an erase under a mark never loses a block it wrote") {
  MemoryStore inner;
  CollectingStore store(inner);
  std::vector<TestBlock> blocks = put_numbered(store, 3000);
  auto mark = store.write_mark();
  SUBCASE("a sweep") {
    race_writer_against(store, blocks, [&] {
      auto st = store.sweep(*mark, [](const BlockId&) { return true; });  // all garbage
      REQUIRE(st.ok());
      MESSAGE("erased " << st->erased << ", kept " << st->kept_written << " written meanwhile");
    });
  }
  SUBCASE("guarded batch erases") {
    race_writer_against(store, blocks, [&] {
      for (size_t at = 0; at < blocks.size(); at += 50) {
        WriteBatch erase;
        erase.erase_guard = mark;
        for (size_t i = at; i < std::min(blocks.size(), at + 50); ++i)
          erase.erase.push_back(blocks[i].id);
        REQUIRE(store.write(erase).ok());
      }
    });
  }
}

}  // namespace
}  // namespace peerstore
