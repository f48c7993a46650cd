// ReplicaStore and HeadSet: what a storage node accepts (blocks that hash to their id, heads
// and grants that verify) and keeps (heads no other head dominates, the grants InboxSet keeps), how
// its writes reach the disk (served from memory at once, acknowledged once their group commit is on
// disk, un-indexed if it fails), and the range summaries and key lists that repair compares.
#include "dht/replica_store.h"

#include <doctest/doctest.h>

#include "dht/ring.h"
#include "replica_store_steps.h"
#include "sim_seed.h"
#include "store/memory_store.h"
#include "test_data.h"
#include "test_disks.h"

namespace peerstore {
namespace {

using sim::device_id;
using sim::into;
using sim::make_head;
using sim::make_volume;
using sim::put_now;
using sim::put_records_now;
using sim::SteppedDiskQueue;

Result<bool> put_heads_now(ReplicaStore& rs, SteppedDiskQueue& disk, const VolumeId& v,
                           const std::vector<Bytes>& heads) {
  return put_records_now(rs, disk, KeyKind::heads, v, heads);
}

TEST_CASE("replica store: a block is accepted only if it hashes to its id") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  ReplicaStore rs(mem, disk);
  std::mt19937_64 rng(1);
  auto b = sim::random_block(rng);
  CHECK(put_now(rs, disk, b).ok());
  CHECK(rs.contains(KeyKind::block, b.id));
  CHECK(*rs.get_block(b.id) == b.data);
  Bytes tampered = b.data;
  tampered[0] ^= 1;
  auto other = sim::random_id(rng);
  CHECK(put_now(rs, disk, {other, tampered}).code() == Errc::corrupt);
  CHECK(put_now(rs, disk, {other, Bytes(kMaxBlockSize + 1)}).code() == Errc::too_big);
  CHECK_FALSE(rs.contains(KeyKind::block, other));
  CHECK(rs.size() == 1);
  CHECK(rs.block_bytes() == b.data.size());
  // Blocks already in the local store are indexed on start.
  ReplicaStore again(mem, disk);
  CHECK(again.contains(KeyKind::block, b.id));
  CHECK(again.block_bytes() == b.data.size());
}

TEST_CASE("replica store: a put is readable at once and acknowledged once its batch committed") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  ReplicaStore rs(mem, disk);
  std::mt19937_64 rng(2);
  sim::TestBlock b[3] = {sim::random_block(rng), sim::random_block(rng), sim::random_block(rng)};
  std::optional<Status> acks[3];
  rs.put_block(b[0].id, b[0].data, into(acks[0]));
  CHECK(disk.writing() == 1);  // nothing was being written: it goes at once
  CHECK(rs.contains(KeyKind::block, b[0].id));
  CHECK(*rs.get_block(b[0].id) == b[0].data);
  CHECK_FALSE(*mem.contains(b[0].id));
  // The next ones gather while the first batch is on its way, and go as one batch.
  rs.put_block(b[1].id, b[1].data, into(acks[1]));
  rs.put_block(b[2].id, b[2].data, into(acks[2]));
  CHECK(disk.writing() == 1);
  disk.run_posted();
  CHECK_FALSE(acks[0]);
  CHECK(disk.commit() == 1);
  CHECK(acks[0]->ok());
  CHECK(*mem.contains(b[0].id));
  CHECK_FALSE(acks[1]);
  REQUIRE(disk.writing() == 1);
  CHECK(*rs.get_block(b[1].id) == b[1].data);
  CHECK(disk.commit() == 2);
  CHECK((acks[1]->ok() && acks[2]->ok()));
  for (auto& x : b) CHECK(*rs.get_block(x.id) == x.data);
  CHECK_FALSE(disk.saw_durable());
  // Nothing left to write: drain answers later, never inside the call.
  bool drained = false;
  rs.drain([&] { drained = true; });
  CHECK_FALSE(drained);
  disk.run_posted();
  CHECK(drained);
}

TEST_CASE("replica store: puts of one block while it is on its way wait for the same commit") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  ReplicaStore rs(mem, disk);
  std::mt19937_64 rng(3);
  auto b = sim::random_block(rng), c = sim::random_block(rng);
  std::optional<Status> acks[4], other;
  rs.put_block(b.id, b.data, into(acks[0]));
  rs.put_block(b.id, b.data, into(acks[1]));
  rs.put_block(c.id, c.data, into(other));  // the next batch
  rs.put_block(b.id, b.data, into(acks[2]));
  bool drained = false;
  rs.drain([&] { drained = true; });
  disk.run_posted();
  CHECK_FALSE((acks[0] || acks[1] || acks[2]));
  CHECK(disk.commit() == 1);
  CHECK((acks[0]->ok() && acks[1]->ok() && acks[2]->ok()));
  CHECK_FALSE(other);
  CHECK_FALSE(drained);
  CHECK(disk.commit() == 1);
  CHECK(other->ok());
  CHECK(drained);
  // Once on disk, a repeated put is answered without a write (but still not synchronously).
  rs.put_block(b.id, b.data, into(acks[3]));
  CHECK_FALSE(acks[3]);
  CHECK(disk.writing() == 0);
  disk.run_posted();
  CHECK(acks[3]->ok());
  CHECK(rs.blocks() == 2);
  CHECK(rs.block_bytes() == b.data.size() + c.data.size());
}

TEST_CASE("replica store: a write that fails answers its error and leaves nothing indexed") {
  sim::FlakyStore flaky;
  SteppedDiskQueue disk(flaky);
  ReplicaStore rs(flaky, disk);
  std::mt19937_64 rng(4);
  auto v = make_volume(4);
  Bytes h1 = make_head(v, {{device_id(1), 1}}), h2 = make_head(v, {{device_id(1), 2}});
  REQUIRE(put_heads_now(rs, disk, v.id(), {h1}).ok());
  auto before = rs.entry(KeyKind::heads, HeadSet::key_for(v.id()));
  REQUIRE(before);

  flaky.fail_writes = true;
  auto b = sim::random_block(rng);
  std::optional<Status> put;
  std::optional<Result<bool>> heads;
  rs.put_block(b.id, b.data, into(put));
  rs.put_heads(v.id(), {h2}, into(heads));
  CHECK(rs.contains(KeyKind::block, b.id));  // served from memory meanwhile
  CHECK(rs.get_heads(v.id())->size() == 1);
  disk.settle();
  CHECK(put->code() == Errc::io);
  CHECK(heads->code() == Errc::io);
  CHECK_FALSE(rs.contains(KeyKind::block, b.id));
  CHECK(rs.get_block(b.id).code() == Errc::not_found);
  CHECK(rs.blocks() == 0);
  CHECK(rs.block_bytes() == 0);
  // The head set is back to what the disk holds.
  CHECK(rs.entry(KeyKind::heads, HeadSet::key_for(v.id())) == before);
  CHECK(*rs.get_heads(v.id()) == std::vector<Bytes>{h1});

  flaky.fail_writes = false;
  CHECK(put_now(rs, disk, b).ok());
  CHECK(rs.contains(KeyKind::block, b.id));
  CHECK(*put_heads_now(rs, disk, v.id(), {h2}) == true);
}

TEST_CASE("replica store: stored head sets are indexed again after a restart") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  auto v = make_volume(5), w = make_volume(6);
  Id256 kv = HeadSet::key_for(v.id()), kw = HeadSet::key_for(w.id());
  std::optional<KeyEntry> ev, ew;
  {
    ReplicaStore rs(mem, disk);
    REQUIRE(put_heads_now(rs, disk, v.id(), {make_head(v, {{device_id(1), 1}})}).ok());
    REQUIRE(put_heads_now(rs, disk, w.id(), {make_head(w, {{device_id(2), 3}})}).ok());
    ev = rs.entry(KeyKind::heads, kv);
    ew = rs.entry(KeyKind::heads, kw);
  }
  ReplicaStore again(mem, disk);
  CHECK(again.head_sets() == 2);
  CHECK(again.entry(KeyKind::heads, kv) == ev);
  CHECK(again.entry(KeyKind::heads, kw) == ew);
}

Result<bool> put_inbox_now(ReplicaStore& rs, SteppedDiskQueue& disk, const SigningKey& user,
                           const std::vector<Bytes>& grants) {
  return put_records_now(rs, disk, KeyKind::inbox, user.public_key(), grants);
}

TEST_CASE("replica store: an inbox takes only grants to its user, beside a head set") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  ReplicaStore rs(mem, disk);
  auto alice = sim::make_user(1), bob = sim::make_user(2), carol = sim::make_user(3);
  auto g1 = sim::make_grant(alice, bob, 1, 0, 100), g2 = sim::make_grant(alice, bob, 1, 1, 200);
  auto to_carol = sim::make_grant(alice, carol, 1, 0, 100);
  REQUIRE((g1 && g2 && to_carol));
  Bytes forged = g1->encode();
  forged[forged.size() - 1] ^= 1;  // the signature
  CHECK(put_inbox_now(rs, disk, bob, {forged}).code() == Errc::corrupt);
  CHECK(put_inbox_now(rs, disk, bob, {to_carol->encode()}).code() == Errc::corrupt);
  CHECK(put_inbox_now(rs, disk, bob, {Bytes{1, 2, 3}}).code() == Errc::corrupt);
  CHECK(rs.size() == 0);
  Id256 key = InboxSet::key_for(bob.public_key());
  CHECK(*put_inbox_now(rs, disk, bob, {forged, g1->encode()}) == true);
  auto e1 = rs.entry(KeyKind::inbox, key);
  REQUIRE(e1);
  CHECK(e1->volume == bob.public_key());
  CHECK_FALSE(rs.contains(KeyKind::heads, key));
  // A newer grant in the same slot replaces it; a replay of the older changes nothing.
  CHECK(*put_inbox_now(rs, disk, bob, {g2->encode()}) == true);
  CHECK(*put_inbox_now(rs, disk, bob, {g1->encode()}) == false);
  CHECK(*rs.get_records(KeyKind::inbox, bob.public_key()) == std::vector<Bytes>{g2->encode()});
  CHECK(rs.entry(KeyKind::inbox, key)->fp != e1->fp);
  // A volume and its heads beside it; nothing of one kind answers for the other.
  auto v = make_volume(7);
  REQUIRE(*put_heads_now(rs, disk, v.id(), {make_head(v, {{device_id(1), 1}})}));
  CHECK(rs.head_sets() == 1);
  CHECK(rs.inboxes() == 1);
  CHECK(rs.get_records(KeyKind::inbox, v.id())->empty());
  CHECK(rs.get_heads(bob.public_key())->empty());
  CHECK(rs.get_records(KeyKind::block, v.id()).code() == Errc::invalid);
}

TEST_CASE("replica store: stored inboxes are indexed again after a restart") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  auto alice = sim::make_user(1), bob = sim::make_user(2);
  auto g = sim::make_grant(alice, bob, 4, 0, 100);
  REQUIRE(g);
  auto v = make_volume(5);
  Id256 key = InboxSet::key_for(bob.public_key());
  std::optional<KeyEntry> ei, ev;
  {
    ReplicaStore rs(mem, disk);
    REQUIRE(put_inbox_now(rs, disk, bob, {g->encode()}).ok());
    REQUIRE(put_heads_now(rs, disk, v.id(), {make_head(v, {{device_id(2), 3}})}).ok());
    ei = rs.entry(KeyKind::inbox, key);
    ev = rs.entry(KeyKind::heads, HeadSet::key_for(v.id()));
  }
  ReplicaStore again(mem, disk);
  CHECK(again.head_sets() == 1);
  CHECK(again.inboxes() == 1);
  CHECK(again.entry(KeyKind::inbox, key) == ei);
  CHECK(again.entry(KeyKind::heads, HeadSet::key_for(v.id())) == ev);
  CHECK(*again.get_records(KeyKind::inbox, bob.public_key()) == std::vector<Bytes>{g->encode()});
  // The inbox's row is under its DHT key, never under the user's key, where a volume's heads
  // would be: the user's key holds nothing.
  CHECK(mem.heads(bob.public_key())->empty());
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
  SteppedDiskQueue disk(mem);
  ReplicaStore rs(mem, disk);
  auto v = make_volume(2), w = make_volume(3);
  Bytes good = make_head(v, {{device_id(1), 1}});
  Bytes bad = good;
  bad[bad.size() - 1] ^= 1;  // the signature
  CHECK(put_heads_now(rs, disk, v.id(), {bad}).code() == Errc::corrupt);
  CHECK(put_heads_now(rs, disk, v.id(), {make_head(w, {{device_id(1), 1}})}).code() ==
        Errc::corrupt);
  CHECK(put_heads_now(rs, disk, v.id(), {Bytes{1, 2, 3}}).code() == Errc::corrupt);
  CHECK(rs.size() == 0);
  auto r = put_heads_now(rs, disk, v.id(), {bad, good});  // the valid one is kept
  REQUIRE(r.ok());
  CHECK(*r);
  CHECK(rs.contains(KeyKind::heads, HeadSet::key_for(v.id())));
  auto e1 = rs.entry(KeyKind::heads, HeadSet::key_for(v.id()));
  CHECK(*put_heads_now(rs, disk, v.id(), {good}) == false);
  CHECK(*put_heads_now(rs, disk, v.id(), {make_head(v, {{device_id(1), 2}})}) == true);
  auto e2 = rs.entry(KeyKind::heads, HeadSet::key_for(v.id()));
  CHECK(e1->fp != e2->fp);
  CHECK(e2->volume == v.id());
  CHECK(rs.get_heads(v.id())->size() == 1);
  CHECK(rs.head_sets() == 1);
}

TEST_CASE("replica store: summaries find the one part that differs") {
  std::mt19937_64 rng(sim::seed_or(9));
  MemoryStore ma, mb;
  SteppedDiskQueue da(ma), db(mb);
  ReplicaStore a(ma, da), b(mb, db);
  for (int i = 0; i < 500; ++i) {
    auto x = sim::random_block(rng);
    CHECK(put_now(a, da, x).ok());
    CHECK(put_now(b, db, x).ok());
  }
  Id256 lo = sim::random_id(rng), hi = sim::random_id(rng);
  CHECK(a.summarize(lo, hi, 4) == b.summarize(lo, hi, 4));
  // One more block on a, inside the range.
  sim::TestBlock extra;
  do extra = sim::random_block(rng);
  while (!ring::in_half_open(extra.id, lo, hi));
  CHECK(put_now(a, da, extra).ok());
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

namespace peerstore {
namespace {

TEST_CASE("replica store: forgotten blocks are erased, and a later put stores them again") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  ReplicaStore rs(mem, disk);
  std::mt19937_64 rng(7);
  auto a = sim::random_block(rng), b = sim::random_block(rng), c = sim::random_block(rng);
  REQUIRE(put_now(rs, disk, a).ok());
  REQUIRE(put_now(rs, disk, b).ok());
  uint64_t bytes = rs.block_bytes();

  // c is not committed yet (it stays), a is, and an unknown id is ignored.
  std::optional<Status> put_c;
  rs.put_block(c.id, c.data, into(put_c));
  std::optional<std::vector<Id256>> dropped;
  rs.forget_blocks({a.id, c.id, sim::random_block(rng).id}, nullptr, into(dropped));
  CHECK_FALSE(rs.contains(KeyKind::block, a.id));  // un-indexed at once
  disk.settle();
  REQUIRE(dropped);
  CHECK(*dropped == std::vector<Id256>{a.id});
  CHECK(mem.get(a.id).code() == Errc::not_found);
  CHECK(rs.contains(KeyKind::block, c.id));
  CHECK(rs.contains(KeyKind::block, b.id));
  CHECK(rs.block_bytes() == bytes - a.data.size() + c.data.size());

  // Forgotten and put again in the same batch: the put wins.
  std::optional<std::vector<Id256>> again;
  rs.forget_blocks({b.id}, nullptr, into(again));
  std::optional<Status> put_b;
  rs.put_block(b.id, b.data, into(put_b));
  disk.settle();
  REQUIRE(put_b);
  CHECK(put_b->ok());
  auto stored = mem.get(b.id);
  REQUIRE(stored.ok());
  CHECK(*stored == b.data);
  CHECK(rs.contains(KeyKind::block, b.id));
}

}  // namespace
}  // namespace peerstore

namespace peerstore {
namespace {

// A mount and its node share one store: the mount's blocks are on disk before the node is sent
// them. The node indexes them without hashing or writing them again.
TEST_CASE("replica store: a block already on disk is indexed without a write") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  ReplicaStore rs(mem, disk);
  std::mt19937_64 rng(11);
  auto a = sim::random_block(rng);
  BlockRecord rec{a.id, a.data};
  REQUIRE(mem.put(std::span<const BlockRecord>(&rec, 1)).ok());
  CHECK_FALSE(rs.contains(KeyKind::block, a.id));
  std::optional<Status> st;
  rs.put_block(a.id, a.data, into(st));
  CHECK(disk.writing() == 0);  // nothing for the disk
  disk.settle();
  REQUIRE(st);
  CHECK(st->ok());
  CHECK(rs.contains(KeyKind::block, a.id));
  CHECK(rs.block_bytes() == a.data.size());
}

}  // namespace
}  // namespace peerstore
