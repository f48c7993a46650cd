// ReplicaStore and HeadSet: what a storage node accepts (blocks that hash to their id, heads
// that verify) and keeps (heads no other head dominates), and the range summaries and key lists
// that repair compares.
#include "dht/replica_store.h"

#include <doctest/doctest.h>

#include "dht/ring.h"
#include "sim_seed.h"
#include "store/memory_store.h"
#include "test_data.h"

namespace peerstore {
namespace {

using sim::device_id;
using sim::make_head;
using sim::make_volume;

TEST_CASE("replica store: a block is accepted only if it hashes to its id") {
  MemoryStore mem;
  ReplicaStore rs(mem);
  std::mt19937_64 rng(1);
  auto b = sim::random_block(rng);
  CHECK(rs.put_block(b.id, b.data).ok());
  CHECK(rs.contains(KeyKind::block, b.id));
  CHECK(*rs.get_block(b.id) == b.data);
  Bytes tampered = b.data;
  tampered[0] ^= 1;
  auto other = sim::random_id(rng);
  CHECK(rs.put_block(other, tampered).code() == Errc::corrupt);
  CHECK_FALSE(rs.contains(KeyKind::block, other));
  CHECK(rs.size() == 1);
  // Blocks already in the local store are indexed on start.
  ReplicaStore again(mem);
  CHECK(again.contains(KeyKind::block, b.id));
}

TEST_CASE("head set: version vectors decide which heads stay") {
  auto v = make_volume(1);
  auto d1 = device_id(1), d2 = device_id(2);
  auto h1 = HeadSet::check(v.id(), make_head(v, {{d1, 1}}));
  auto h2 = HeadSet::check(v.id(), make_head(v, {{d1, 2}}));
  auto h3 = HeadSet::check(v.id(), make_head(v, {{d1, 1}, {d2, 1}}));
  auto h4 = HeadSet::check(v.id(), make_head(v, {{d1, 2}, {d2, 1}}));
  REQUIRE((h1 && h2 && h3 && h4));
  CHECK(compare_clocks(*h1, *h2) == ClockOrder::before);
  CHECK(compare_clocks(*h2, *h1) == ClockOrder::after);
  CHECK(compare_clocks(*h2, *h3) == ClockOrder::concurrent);
  CHECK(compare_clocks(*h1, *h1) == ClockOrder::equal);
  HeadSet s(v.id());
  CHECK(s.add(*h1));
  CHECK_FALSE(s.add(*h1));  // already there
  CHECK(s.add(*h2));        // dominates h1
  CHECK(s.size() == 1);
  CHECK_FALSE(s.add(*h1));  // dominated
  CHECK(s.add(*h3));        // concurrent: siblings
  CHECK(s.size() == 2);
  auto d = s.digest();
  CHECK(s.add(*h4));  // dominates both
  CHECK(s.size() == 1);
  CHECK(s.digest() != d);
  CHECK(HeadSet::key_for(v.id()) != v.id());
}

TEST_CASE("replica store: heads must verify and belong to the volume") {
  MemoryStore mem;
  ReplicaStore rs(mem);
  auto v = make_volume(2), w = make_volume(3);
  Bytes good = make_head(v, {{device_id(1), 1}});
  Bytes bad = good;
  bad[bad.size() - 1] ^= 1;  // the signature
  CHECK(rs.put_heads(v.id(), {bad}).code() == Errc::corrupt);
  CHECK(rs.put_heads(v.id(), {make_head(w, {{device_id(1), 1}})}).code() == Errc::corrupt);
  CHECK(rs.put_heads(v.id(), {Bytes{1, 2, 3}}).code() == Errc::corrupt);
  CHECK(rs.size() == 0);
  auto r = rs.put_heads(v.id(), {bad, good});  // the valid one is kept
  REQUIRE(r.ok());
  CHECK(*r);
  CHECK(rs.contains(KeyKind::heads, HeadSet::key_for(v.id())));
  auto e1 = rs.entry(KeyKind::heads, HeadSet::key_for(v.id()));
  CHECK(*rs.put_heads(v.id(), {good}) == false);
  CHECK(*rs.put_heads(v.id(), {make_head(v, {{device_id(1), 2}})}) == true);
  auto e2 = rs.entry(KeyKind::heads, HeadSet::key_for(v.id()));
  CHECK(e1->fp != e2->fp);
  CHECK(e2->volume == v.id());
  CHECK(rs.get_heads(v.id())->size() == 1);
}

TEST_CASE("replica store: summaries find the one part that differs") {
  std::mt19937_64 rng(sim::seed_or(9));
  MemoryStore ma, mb;
  ReplicaStore a(ma), b(mb);
  std::vector<sim::TestBlock> blocks;
  for (int i = 0; i < 500; ++i) {
    blocks.push_back(sim::random_block(rng));
    CHECK(a.put_block(blocks.back().id, blocks.back().data).ok());
    CHECK(b.put_block(blocks.back().id, blocks.back().data).ok());
  }
  Id256 lo = sim::random_id(rng), hi = sim::random_id(rng);
  CHECK(a.summarize(lo, hi, 4) == b.summarize(lo, hi, 4));
  // One more block on a, inside the range.
  sim::TestBlock extra;
  do extra = sim::random_block(rng);
  while (!ring::in_half_open(extra.id, lo, hi));
  CHECK(a.put_block(extra.id, extra.data).ok());
  auto sa = a.summarize(lo, hi, 4), sb = b.summarize(lo, hi, 4);
  int differ = 0;
  uint64_t count = 0;
  for (size_t i = 0; i < 16; ++i) {
    differ += sa[i] == sb[i] ? 0 : 1;
    count += sa[i].count;
  }
  CHECK(differ == 1);
  size_t in_range = 0;
  a.for_range(lo, hi, [&](const KeyEntry&) { return ++in_range, true; });
  CHECK(count == in_range);
  // The whole ring.
  auto whole = a.summarize(lo, lo, 4);
  uint64_t all = 0;
  for (auto& d : whole) all += d.count;
  CHECK(all == 501);
  // Lists come in ring order from lo and continue after a truncation.
  bool trunc = false;
  auto first = a.list(lo, lo, 100, &trunc);
  CHECK(trunc);
  CHECK(first.size() == 100);
  for (size_t i = 1; i < first.size(); ++i)
    CHECK(ring::distance(lo, first[i - 1].key) < ring::distance(lo, first[i].key));
  size_t total = first.size();
  Id256 from = first.back().key;
  while (trunc) {
    auto more = a.list(from, lo, 100, &trunc);
    total += more.size();
    if (!more.empty()) from = more.back().key;
  }
  CHECK(total == 501);
}

}  // namespace
}  // namespace peerstore
