// ReplicaStore and the claims on blocks (KeyKind::claims, docs/lifecycle.md): a block's claims
// are a record set at the block's own key, beside the block; a cancel proves itself or is
// refused; the set is indexed again after a restart; its row in the heads table cannot land
// on anyone's inbox, whatever block id a writer chooses; and BlockRelease erases a block once
// every claim on it has been cancelled for its grace period, and nothing else.
#include <doctest/doctest.h>

#include "dht/block_release.h"
#include "dht/replica_store.h"
#include "replica_store_steps.h"
#include "store/collecting_store.h"
#include "store/lmdb_store.h"
#include "store/memory_store.h"
#include "unit/common/temp_dir.h"

namespace peerstore {
namespace {

using sim::put_now;
using sim::put_records_now;
using sim::SteppedDiskQueue;

Id256 secret_of(uint8_t n) {
  Id256 s;
  s.b.fill(n);
  return s;
}

Bytes claim_of(uint8_t n, uint32_t number = 0) {
  return ClaimSet::encode_claim(Claim{claim_tag(secret_of(n)), number, std::nullopt, 0});
}

Bytes cancel_of(uint8_t n) {
  Id256 s = secret_of(n);
  return ClaimSet::encode_claim(Claim{claim_tag(s), 0, s, 0});
}

TEST_CASE(
    "replica store: a block's claims live at its key, beside it, and cancels prove "
    "themselves") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  std::mt19937_64 rng(3);
  auto b = sim::random_block(rng);
  std::optional<KeyEntry> entry;
  {
    ReplicaStore rs(mem, disk);
    REQUIRE(put_now(rs, disk, b).ok());
    CHECK(*put_records_now(rs, disk, KeyKind::claims, b.id, {claim_of(1, 1), claim_of(2)}));
    CHECK(RecordSet::key_for(KeyKind::claims, b.id) == b.id);
    auto e = rs.entry(KeyKind::claims, b.id);
    REQUIRE(e);
    CHECK(e->volume == b.id);
    CHECK(rs.contains(KeyKind::block, b.id));
    CHECK(rs.claimed_blocks() == 1);
    // A replayed claim changes nothing; a cancel does, once.
    CHECK_FALSE(*put_records_now(rs, disk, KeyKind::claims, b.id, {claim_of(1, 1)}));
    CHECK(*put_records_now(rs, disk, KeyKind::claims, b.id, {cancel_of(2)}));
    CHECK_FALSE(*put_records_now(rs, disk, KeyKind::claims, b.id, {cancel_of(2)}));
    CHECK(rs.entry(KeyKind::claims, b.id)->fp != e->fp);
    // A cancel whose secret is not its tag's is refused; the valid ones beside it are kept.
    Bytes forged = cancel_of(1);
    forged[forged.size() - 1] ^= 1;
    CHECK(put_records_now(rs, disk, KeyKind::claims, b.id, {forged}).code() == Errc::corrupt);
    CHECK(*put_records_now(rs, disk, KeyKind::claims, b.id, {forged, claim_of(3)}));
    auto records = rs.get_records(KeyKind::claims, b.id);
    REQUIRE(records.ok());
    ClaimSet set;
    set.add_trusted(*records);
    CHECK(set.size() == 3);
    CHECK(set.live() == 2);
    entry = rs.entry(KeyKind::claims, b.id);
  }
  // After a restart: the same entry, the same claims; the block untouched.
  ReplicaStore again(mem, disk);
  CHECK(again.claimed_blocks() == 1);
  CHECK(again.entry(KeyKind::claims, b.id) == entry);
  CHECK(again.get_records(KeyKind::claims, b.id)->size() == 3);
  CHECK(*again.get_block(b.id) == b.data);
}

TEST_CASE(
    "replica store: claims on a block whose id is someone's inbox key leave the inbox "
    "alone") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  auto alice = sim::make_user(1), bob = sim::make_user(2);
  auto g = sim::make_grant(alice, bob, 1, 0, 100);
  REQUIRE(g);
  // Anyone can choose a block's bytes, and so its id: here the key of bob's inbox.
  Id256 inbox_key = InboxSet::key_for(bob.public_key());
  {
    ReplicaStore rs(mem, disk);
    REQUIRE(put_records_now(rs, disk, KeyKind::inbox, bob.public_key(), {g->encode()}).ok());
    CHECK(*put_records_now(rs, disk, KeyKind::claims, inbox_key, {claim_of(1)}));
    CHECK(*rs.get_records(KeyKind::inbox, bob.public_key()) == std::vector<Bytes>{g->encode()});
    CHECK(*rs.get_records(KeyKind::claims, inbox_key) == std::vector<Bytes>{claim_of(1)});
  }
  ReplicaStore again(mem, disk);
  CHECK(again.inboxes() == 1);
  CHECK(again.claimed_blocks() == 1);
  CHECK(*again.get_records(KeyKind::inbox, bob.public_key()) == std::vector<Bytes>{g->encode()});
  CHECK(*again.get_records(KeyKind::claims, inbox_key) == std::vector<Bytes>{claim_of(1)});
}

// Puts blocks of 8 KiB until one is refused: the refusal; those taken go to `held`.
Status fill(ReplicaStore& rs, SteppedDiskQueue& disk, std::mt19937_64& rng,
            std::vector<sim::TestBlock>& held) {
  Status refused;
  for (int i = 0; i < 4000 && refused; ++i) {
    auto b = sim::random_block(rng, 8 << 10, 8 << 10);
    refused = put_now(rs, disk, b);
    if (refused) held.push_back(b);
  }
  REQUIRE(held.size() > 100);
  REQUIRE(refused.code() == Errc::no_space);
  return refused;
}

TEST_CASE("replica store: a full store refuses new copies first, and still takes the cancels") {
  MemoryStore mem;
  mem.set_capacity(2 << 20);
  const uint64_t reserve = ReplicaStore::record_reserve(2 << 20);
  CHECK(reserve == (64 << 10));
  SteppedDiskQueue disk(mem);
  ReplicaStore rs(mem, disk);
  std::mt19937_64 rng(11);
  std::vector<sim::TestBlock> held;
  Status refused = fill(rs, disk, rng, held);
  CHECK(refused.error().message().find("kept for records") != std::string::npos);
  // Refused while the reserve was still free, and for no block that would have fitted whole.
  uint64_t free = mem.space()->free;
  CHECK(free >= reserve);
  CHECK(free < reserve + 2 * LocalStore::cost_of_block(8 << 10));
  // A block it holds is put again without a word; claims and their cancels still land.
  CHECK(put_now(rs, disk, held.front()).ok());
  CHECK(*put_records_now(rs, disk, KeyKind::claims, held.front().id, {claim_of(1)}));
  CHECK(*put_records_now(rs, disk, KeyKind::claims, held.front().id, {cancel_of(1)}));
  CHECK(rs.released(held.front().id));
  // Once blocks go, new ones are taken again.
  std::optional<std::vector<Id256>> erased;
  rs.forget_blocks({held[0].id, held[1].id, held[2].id}, nullptr,
                   [&](std::vector<Id256> ids) { erased = std::move(ids); });
  disk.settle();
  REQUIRE(erased);
  CHECK(put_now(rs, disk, sim::random_block(rng, 8 << 10, 8 << 10)).ok());
}

TEST_CASE("replica store: an LMDB store that refused new copies still takes claims and cancels") {
  // Before the record reserve, copies from peers filled the store to its last page, and then
  // the cancels that would have given the space back were refused too.
  test::TempDir dir;
  auto lmdb = LmdbStore::open(dir.file("db"));
  REQUIRE(lmdb.ok());
  LmdbStore& store = **lmdb;
  store.set_capacity(4 << 20);
  SteppedDiskQueue disk(store);
  ReplicaStore rs(store, disk);
  std::mt19937_64 rng(12);
  std::vector<sim::TestBlock> held;
  Status refused = fill(rs, disk, rng, held);
  for (size_t i = 0; i < 50; ++i) {
    CAPTURE(i);
    auto claimed = put_records_now(rs, disk, KeyKind::claims, held[i].id, {claim_of(1)});
    REQUIRE(claimed.ok());
    auto cancelled = put_records_now(rs, disk, KeyKind::claims, held[i].id, {cancel_of(1)});
    REQUIRE(cancelled.ok());
    CHECK(rs.released(held[i].id));
  }
}

TEST_CASE("block release: a block goes once every claim on it stayed cancelled for the grace") {
  MemoryStore mem;
  SteppedDiskQueue disk(mem);
  ReplicaStore rs(mem, disk);
  std::mt19937_64 rng(5);
  auto released = sim::random_block(rng), claimed = sim::random_block(rng),
       unclaimed = sim::random_block(rng), reclaimed = sim::random_block(rng);
  for (auto* b : {&released, &claimed, &unclaimed, &reclaimed}) REQUIRE(put_now(rs, disk, *b).ok());
  REQUIRE(put_records_now(rs, disk, KeyKind::claims, released.id, {cancel_of(1), cancel_of(2)}));
  REQUIRE(put_records_now(rs, disk, KeyKind::claims, claimed.id, {claim_of(3), cancel_of(4)}));
  REQUIRE(put_records_now(rs, disk, KeyKind::claims, reclaimed.id, {cancel_of(5)}));
  CHECK(rs.released(released.id));
  CHECK_FALSE(rs.released(claimed.id));
  CHECK_FALSE(rs.released(unclaimed.id));  // no claims: an unknown party may need it
  CHECK(rs.released(reclaimed.id));

  const int64_t grace = 1000;
  BlockRelease release(rs, grace);
  release.sweep(10000);
  CHECK(release.stats().waiting == 2);
  // What a sweep took is not given again; a change of claims is.
  CHECK(rs.take_claims_changed().ids.empty());
  release.sweep(10999);
  disk.settle();
  CHECK(rs.contains(KeyKind::block, released.id));
  // A new claim (another device wrote the same chunk) keeps the block, and its grace is over.
  REQUIRE(put_records_now(rs, disk, KeyKind::claims, reclaimed.id, {claim_of(6, 1)}));
  auto changed = rs.take_claims_changed();
  CHECK_FALSE(changed.all);
  CHECK(changed.ids == std::vector<Id256>{reclaimed.id});
  REQUIRE(put_records_now(rs, disk, KeyKind::claims, reclaimed.id, {claim_of(6, 1)}));  // again
  CHECK(rs.take_claims_changed().ids.empty());  // nothing new in it
  // Taken here, not by the sweep: it still looks at the block, which is in its grace.
  release.sweep(11000);
  disk.settle();
  CHECK(release.stats().released == 1);
  CHECK(release.stats().waiting == 0);
  CHECK_FALSE(rs.contains(KeyKind::block, released.id));
  CHECK_FALSE(*mem.contains(released.id));
  for (auto* b : {&claimed, &unclaimed, &reclaimed}) CHECK(rs.contains(KeyKind::block, b->id));
  // The tombstone stays: the claims say the block is released, so repair does not move it back.
  CHECK(rs.contains(KeyKind::claims, released.id));
  CHECK(rs.released(released.id));
  // Cancelled again, the reclaimed block starts a grace of its own.
  REQUIRE(put_records_now(rs, disk, KeyKind::claims, reclaimed.id, {cancel_of(6)}));
  release.sweep(20000);
  CHECK(release.stats().waiting == 1);
  release.sweep(21000);
  disk.settle();
  CHECK_FALSE(rs.contains(KeyKind::block, reclaimed.id));
  CHECK(release.stats().released == 2);
}

TEST_CASE(
    "block release: a block another writer of the store wrote anew after its grace began is "
    "kept, and goes after a whole grace more") {
  // A mount's file system shares the node's store: a chunk it writes anew is an LMDB no-op that
  // reaches the replica only with its upload, and its claim after that.
  MemoryStore mem;
  CollectingStore front(mem);
  SteppedDiskQueue disk(front);
  ReplicaStore rs(front, disk);
  std::mt19937_64 rng(8);
  auto rewritten = sim::random_block(rng), idle = sim::random_block(rng);
  for (auto* b : {&rewritten, &idle}) {
    REQUIRE(put_now(rs, disk, *b).ok());
    REQUIRE(put_records_now(rs, disk, KeyKind::claims, b->id, {cancel_of(1)}));
  }
  const int64_t grace = 1000;
  BlockRelease release(rs, grace);
  release.sweep(10000);  // both graces begin
  CHECK(release.stats().waiting == 2);
  BlockRecord again[] = {BlockRecord{rewritten.id, rewritten.data}};
  REQUIRE(front.put(again).ok());  // the other writer, behind the replica's back
  release.sweep(11000);
  disk.settle();
  CHECK(release.stats().released == 1);
  CHECK_FALSE(*mem.contains(idle.id));
  CHECK(*mem.contains(rewritten.id));
  REQUIRE(rs.contains(KeyKind::block, rewritten.id));  // held again
  CHECK(*rs.get_block(rewritten.id) == rewritten.data);
  // No claim came (the writer's commit was abandoned): a whole grace later it goes.
  release.sweep(11001);
  CHECK(release.stats().waiting == 1);
  release.sweep(12001);
  disk.settle();
  CHECK(release.stats().released == 2);
  CHECK_FALSE(*mem.contains(rewritten.id));
  CHECK_FALSE(rs.contains(KeyKind::block, rewritten.id));
}

TEST_CASE(
    "block release: a tombstone goes after one to two horizons, from the disk too, and nothing "
    "else does") {
  // Before, the cancelled claims of every erased block stayed for good, on disk and in the
  // index, so a store's size and memory grew with all it had ever released.
  test::TempDir dir;
  auto lmdb = LmdbStore::open(dir.file("db"));
  REQUIRE(lmdb.ok());
  LmdbStore& store = **lmdb;
  SteppedDiskQueue disk(store);
  std::mt19937_64 rng(21);
  auto erased = sim::random_block(rng), live = sim::random_block(rng),
       reclaimed = sim::random_block(rng), held = sim::random_block(rng);
  auto never_held = sim::random_block(rng);  // a cancel that came before (and without) its block
  {
    ReplicaStore rs(store, disk);
    for (auto* b : {&erased, &live, &reclaimed, &held}) REQUIRE(put_now(rs, disk, *b).ok());
    for (auto* b : {&erased, &reclaimed})
      REQUIRE(put_records_now(rs, disk, KeyKind::claims, b->id, {claim_of(1), cancel_of(1)}));
    REQUIRE(put_records_now(rs, disk, KeyKind::claims, live.id, {claim_of(2)}));
    REQUIRE(put_records_now(rs, disk, KeyKind::claims, held.id, {cancel_of(3)}));
    REQUIRE(put_records_now(rs, disk, KeyKind::claims, never_held.id, {cancel_of(4)}));
    const int64_t grace = 1000, horizon = 100000;
    BlockRelease release(rs, grace);
    release.set_tombstone_horizon(horizon, 10);
    release.sweep(0);  // graces begin; the first scan finds the tombstone of a cancel alone
    REQUIRE(rs.tombstone(never_held.id));
    release.sweep(grace);
    disk.settle();
    CHECK(release.stats().released == 3);  // erased, reclaimed, held: each a tombstone now
    for (auto* b : {&erased, &reclaimed, &held}) CHECK(rs.tombstone(b->id));
    CHECK_FALSE(rs.tombstone(live.id));
    // `held` is written again (a writer's new put), `reclaimed` claimed again: neither is a
    // tombstone any more.
    REQUIRE(put_now(rs, disk, held).ok());
    REQUIRE(put_records_now(rs, disk, KeyKind::claims, reclaimed.id, {claim_of(5)}));
    release.sweep(horizon - 1);  // not yet a horizon since the first scan
    disk.settle();
    CHECK(rs.contains(KeyKind::claims, never_held.id));
    release.sweep(horizon);  // the tombstones of the first scan go; those found since wait
    disk.settle();
    CHECK(release.stats().tombstones_dropped == 1);
    CHECK_FALSE(rs.contains(KeyKind::claims, never_held.id));
    CHECK(rs.contains(KeyKind::claims, erased.id));
    release.sweep(2 * horizon);
    disk.settle();
    CHECK(release.stats().tombstones_dropped == 2);
    CHECK_FALSE(rs.contains(KeyKind::claims, erased.id));
    CHECK(rs.get_records(KeyKind::claims, erased.id)->empty());
    // `held`, put again while released, was erased again a grace later: its tombstone is young.
    for (auto* b : {&live, &reclaimed, &held}) CHECK(rs.contains(KeyKind::claims, b->id));
    CHECK(rs.contains(KeyKind::block, live.id));
  }
  // Gone from the disk: a restart does not find them.
  ReplicaStore again(store, disk);
  CHECK(again.claimed_blocks() == 3);
  CHECK_FALSE(again.contains(KeyKind::claims, erased.id));
  CHECK_FALSE(again.contains(KeyKind::claims, never_held.id));
  CHECK(again.contains(KeyKind::claims, live.id));
}

TEST_CASE("replica store: new claims and the release sweep read no claims back from the store") {
  // A mount's node takes a claim for every block its writer stores, and BlockRelease asks
  // about each claimed block; reading each set back through LMDB's map cost a 1 GiB write a
  // third of its page faults. The index knows which blocks have claims and which are released.
  sim::FlakyStore disk_store;
  SteppedDiskQueue disk(disk_store);
  std::mt19937_64 rng(9);
  std::vector<sim::TestBlock> blocks;
  {
    ReplicaStore rs(disk_store, disk);
    for (int i = 0; i < 20; ++i) {
      blocks.push_back(sim::random_block(rng));
      REQUIRE(put_now(rs, disk, blocks.back()).ok());
    }
    disk_store.head_reads = 0;
    for (auto& b : blocks) CHECK(*put_records_now(rs, disk, KeyKind::claims, b.id, {claim_of(1)}));
    CHECK(disk_store.head_reads == 0);
    // Cancelled, the first half (each cancel reads the set it joins); the sweep finds them
    // released without a read.
    for (size_t i = 0; i < 10; ++i)
      CHECK(*put_records_now(rs, disk, KeyKind::claims, blocks[i].id, {cancel_of(1)}));
    disk_store.head_reads = 0;
    BlockRelease release(rs, 1000);
    release.sweep(10000);
    CHECK(release.stats().waiting == 10);
    CHECK(disk_store.head_reads == 0);
    for (size_t i = 0; i < blocks.size(); ++i) CHECK(rs.released(blocks[i].id) == (i < 10));
  }
  // After a restart, read back once: the same answers, and a block's next claim joins those
  // stored.
  ReplicaStore again(disk_store, disk);
  for (size_t i = 0; i < blocks.size(); ++i) CHECK(again.released(blocks[i].id) == (i < 10));
  CHECK(*put_records_now(again, disk, KeyKind::claims, blocks[0].id, {claim_of(2)}));
  CHECK_FALSE(again.released(blocks[0].id));
  CHECK(again.get_records(KeyKind::claims, blocks[0].id)->size() == 2);
}

TEST_CASE("replica store: after a start that could not read every row, a claim is merged") {
  // The index cannot vouch that a block has no claims stored: the row is read, as before.
  sim::FlakyStore disk_store;
  SteppedDiskQueue disk(disk_store);
  std::mt19937_64 rng(10);
  auto b = sim::random_block(rng);
  {
    ReplicaStore rs(disk_store, disk);
    REQUIRE(put_now(rs, disk, b).ok());
    CHECK(*put_records_now(rs, disk, KeyKind::claims, b.id, {claim_of(1)}));
  }
  disk_store.fail_head_reads = true;
  ReplicaStore again(disk_store, disk);
  disk_store.fail_head_reads = false;
  CHECK(again.claimed_blocks() == 0);
  CHECK(*put_records_now(again, disk, KeyKind::claims, b.id, {claim_of(2)}));
  CHECK(again.get_records(KeyKind::claims, b.id)->size() == 2);
}

}  // namespace
}  // namespace peerstore
