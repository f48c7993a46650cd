// Claimant: a device's claims on its volume's blocks, made, cancelled and resumed through its
// ClaimBook (docs/lifecycle.md, Ring collection). First against a model replica that can fail
// any put: claim numbers, what the book says at each step, and a crash or failure in the middle
// resumed without a claim the ring may lack ever read as live. Then on the simulated ring: a
// writer that goes away while the ring churns for many grace periods loses nothing (claims do
// not expire), and once back, its cancels free exactly the blocks nobody else claims, after the
// grace, from every holder: a stray copy (one churn left beyond the replicas) learns of the
// cancels when its handoff exchanges the claims with the replicas (without that it kept the
// block forever); a claim made again within the grace keeps its block.
#include "dht/claimant.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "scenario.h"
#include "sim_seed.h"
#include "support/model_claim_sink.h"
#include "test_data.h"

namespace peerstore {
namespace {

VolumeKeys keys_of(uint8_t n) {
  Secret seed(32);
  seed.data()[0] = n;
  return VolumeKeys{SigningKey::from_seed(seed), Secret(32), Secret(32)};
}

Id256 id_of(uint8_t fill, uint8_t last) {
  Id256 id;
  id.b.fill(fill);
  id.b[31] = last;
  return id;
}

using ModelSink = test::ModelClaimSink;

std::optional<ClaimEntry> entry(ClaimBook& book, const VolumeId& v, const BlockId& b) {
  auto got = book.find(v, std::vector<BlockId>{b});
  REQUIRE(got.ok());
  return (*got)[0];
}

TEST_CASE("claimant: claims, cancels and claims again with the next number") {
  MemoryKvTable table;
  ClaimBook book(table);
  ModelSink sink;
  VolumeId v = id_of(1, 0);
  PublicKey device = id_of(2, 0);
  auto secrets = ClaimSecrets::of(keys_of(7));
  REQUIRE(secrets.ok());
  Claimant a(std::move(*secrets), device, v, book, sink);
  std::vector<BlockId> blocks{id_of(9, 1), id_of(9, 2), id_of(9, 3)};

  auto r = a.claim(blocks);
  REQUIRE(r.ok());
  CHECK(r->sent == 3);
  for (auto& b : blocks) {
    CHECK(entry(book, v, b) == ClaimEntry{0, ClaimState::live});
    CHECK(sink.live(b) == 1);
  }
  // Claiming again sends nothing.
  size_t puts = sink.puts;
  r = a.claim(blocks);
  REQUIRE(r.ok());
  CHECK(r->skipped == 3);
  CHECK(sink.puts == puts);

  std::vector<BlockId> first{blocks[0]};
  r = a.cancel(first);
  REQUIRE(r.ok());
  CHECK(r->sent == 1);
  CHECK(entry(book, v, blocks[0]) == ClaimEntry{0, ClaimState::cancelled});
  CHECK(sink.live(blocks[0]) == 0);
  CHECK(sink.releasable(blocks[0]));
  // Cancelling again, or a block never claimed, sends nothing.
  std::vector<BlockId> again{blocks[0], id_of(9, 4)};
  r = a.cancel(again);
  REQUIRE(r.ok());
  CHECK(r->skipped == 2);

  // Claimed again: number 1, which the revealed secret of number 0 cannot cancel.
  r = a.claim(first);
  REQUIRE(r.ok());
  CHECK(entry(book, v, blocks[0]) == ClaimEntry{1, ClaimState::live});
  CHECK(sink.live(blocks[0]) == 1);
  CHECK_FALSE(sink.releasable(blocks[0]));
  CHECK(sink.size(blocks[0]) == 2);
}

TEST_CASE("claimant: the collector's cancel takes every claim that nothing reaches, and no other") {
  MemoryKvTable table;
  ClaimBook book(table);
  ModelSink sink;
  VolumeId v = id_of(1, 0), other = id_of(1, 1);
  PublicKey device = id_of(2, 0);
  auto secrets = ClaimSecrets::of(keys_of(7));
  REQUIRE(secrets.ok());
  auto other_secrets = ClaimSecrets::of(keys_of(8));
  REQUIRE(other_secrets.ok());
  Claimant a(std::move(*secrets), device, v, book, sink);
  Claimant b(std::move(*other_secrets), device, other, book, sink);
  std::vector<BlockId> blocks;
  for (uint8_t i = 1; i <= 10; ++i) blocks.push_back(id_of(9, i));
  REQUIRE(a.claim(blocks).ok());
  REQUIRE(b.claim(blocks).ok());  // the same blocks in another volume: its claims stay
  std::vector<BlockId> cancelled_before{blocks[9]};
  REQUIRE(a.cancel(cancelled_before).ok());
  // A claim left pending by a failed send is cancelled like a live one.
  std::vector<BlockId> pending{blocks[7]};
  REQUIRE(a.cancel(pending).ok());
  sink.fails.insert(blocks[7]);
  CHECK_FALSE(a.claim(pending).ok());
  REQUIRE(entry(book, v, blocks[7])->state == ClaimState::claiming);

  // Reached: the first five.
  std::set<BlockId> reached(blocks.begin(), blocks.begin() + 5);
  size_t puts = sink.puts;
  auto r = a.cancel_unreached([&](const BlockId& id) { return reached.contains(id); });
  REQUIRE(r.ok());
  CHECK(r->sent == 4);  // blocks 5..8 (9 was cancelled before)
  CHECK(sink.puts == puts + 4);
  for (size_t i = 0; i < blocks.size(); ++i) {
    auto e = entry(book, v, blocks[i]);
    REQUIRE(e);
    CHECK(e->state == (i < 5 ? ClaimState::live : ClaimState::cancelled));
    CHECK(entry(book, other, blocks[i])->state == ClaimState::live);
    CHECK(sink.live(blocks[i]) == (i < 5 ? 2u : 1u));  // the other volume's claim is live
  }
}

TEST_CASE("claimant: a failed or interrupted step stays pending, and resume finishes it") {
  MemoryKvTable table;
  ClaimBook book(table);
  ModelSink sink;
  VolumeId v = id_of(1, 0);
  PublicKey device = id_of(2, 0);
  std::vector<BlockId> blocks{id_of(9, 1), id_of(9, 2)};
  {
    auto secrets = ClaimSecrets::of(keys_of(7));
    REQUIRE(secrets.ok());
    Claimant a(std::move(*secrets), device, v, book, sink);
    sink.fails.insert(blocks[1]);
    auto r = a.claim(blocks);
    CHECK(r.code() == Errc::unavailable);
    CHECK(entry(book, v, blocks[0]) == ClaimEntry{0, ClaimState::live});
    // Never "live" for the claim the ring did not acknowledge.
    CHECK(entry(book, v, blocks[1]) == ClaimEntry{0, ClaimState::claiming});

    sink.fails.insert(blocks[0]);
    r = a.cancel(std::vector<BlockId>{blocks[0]});
    CHECK(r.code() == Errc::unavailable);
    CHECK(entry(book, v, blocks[0]) == ClaimEntry{0, ClaimState::cancelling});
    CHECK(sink.live(blocks[0]) == 1);
  }
  // A new start (as after a crash) with the same book: resume sends both again.
  auto secrets = ClaimSecrets::of(keys_of(7));
  REQUIRE(secrets.ok());
  Claimant a(std::move(*secrets), device, v, book, sink);
  auto r = a.resume();
  REQUIRE(r.ok());
  CHECK(r->sent == 2);
  CHECK(entry(book, v, blocks[0]) == ClaimEntry{0, ClaimState::cancelled});
  CHECK(entry(book, v, blocks[1]) == ClaimEntry{0, ClaimState::live});
  CHECK(sink.live(blocks[0]) == 0);
  CHECK(sink.live(blocks[1]) == 1);
  r = a.resume();
  REQUIRE(r.ok());
  CHECK(r->sent == 0);

  // A claim still pending is cancelled like a live one (it may have reached the ring).
  sink.fails.insert(blocks[0]);
  CHECK(a.claim(std::vector<BlockId>{blocks[0]}).code() == Errc::unavailable);
  CHECK(entry(book, v, blocks[0]) == ClaimEntry{1, ClaimState::claiming});
  r = a.cancel(std::vector<BlockId>{blocks[0]});
  REQUIRE(r.ok());
  CHECK(entry(book, v, blocks[0]) == ClaimEntry{1, ClaimState::cancelled});
  CHECK(sink.releasable(blocks[0]));
}

}  // namespace

namespace sim {
namespace {

// The simulated ring as a device sees it: each put from a random live node.
struct SimClaimSink : ClaimSink {
  SimCluster& c;
  explicit SimClaimSink(SimCluster& cluster) : c(cluster) {}
  std::vector<Status> put_claims(const std::vector<std::pair<BlockId, Bytes>>& puts) override {
    std::vector<Status> out;
    for (auto& [b, rec] : puts)
      out.push_back(c.put_records(c.random_live(), KeyKind::claims, b, {rec}));
    return out;
  }
};

// Who holds a block, for a failure's message: each holder, whether it is one of the block's
// replicas, and its claims (live of all).
std::string who_holds(SimCluster& c, const BlockId& id) {
  auto reps = c.true_successors(id, 3);
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c.peer(i).alive || !c.node(i).storage().contains(KeyKind::block, id)) continue;
    auto cs = c.node(i).storage().claims_of(id);
    bool replica = std::find(reps.begin(), reps.end(), i) != reps.end();
    out += "node " + std::to_string(i) + (replica ? " (replica)" : " (stray)") + " claims " +
           (cs.ok() ? std::to_string(cs->live()) + "/" + std::to_string(cs->size()) : "?") + "; ";
  }
  return out;
}

TEST_CASE("sim: a writer away while the ring churns loses nothing; its cancels free the rest") {
  uint64_t seed = seed_or(41);
  for (uint64_t round = 0; round < 2; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    ChordConfig cfg = release_config();
    SimCluster c(seed + round, cfg);
    std::string why;
    REQUIRE(c.grow(12, 100));
    REQUIRE(settle(c, 60000, &why) >= 0);

    std::vector<TestBlock> data;
    std::vector<BlockId> ids;
    for (int i = 0; i < 40; ++i) {
      data.push_back(random_block(c.rng()));
      ids.push_back(data.back().id);
      REQUIRE(c.put_block(c.random_live(), ids.back(), data.back().data).ok());
    }
    MemoryKvTable table_a, table_b;
    ClaimBook book_a(table_a), book_b(table_b);
    SimClaimSink sink(c);
    VolumeId v = id_of(1, 0);
    auto sa = ClaimSecrets::of(keys_of(3)), sb = ClaimSecrets::of(keys_of(3));
    REQUIRE((sa.ok() && sb.ok()));
    Claimant a(std::move(*sa), id_of(0xa, 0), v, book_a, sink);
    Claimant b(std::move(*sb), id_of(0xb, 0), v, book_b, sink);  // the user's other computer
    REQUIRE(a.claim(ids).ok());
    std::vector<BlockId> shared(ids.begin(), ids.begin() + 10);
    REQUIRE(b.claim(shared).ok());

    // A goes away. The ring churns for twenty grace periods: crashes, joins, leaves; after
    // every step every block still has a copy on a live node.
    for (int step = 0; step < 20; ++step) {
      size_t live = 0;
      for (size_t i = 0; i < c.size(); ++i) live += c.live(i);
      int what = int(c.rng()() % 3);
      if (what == 0 && live > 9) {
        c.crash(c.random_live());
      } else if (what == 1 && live > 9) {
        (void)c.leave(c.random_live());
      } else {
        size_t n = c.add_node();
        (void)c.join(n);
      }
      c.run_for(cfg.release_grace_ms);
      for (size_t k = 0; k < ids.size(); ++k) {
        INFO("step " << step << ", block " << k);
        REQUIRE(c.holders(KeyKind::block, ids[k]) >= 1);
      }
    }
    REQUIRE(settle(c, 120000, &why) >= 0);
    c.run_for(4 * cfg.repair_ms);
    for (auto& id : ids) CHECK(c.holders(KeyKind::block, id) >= 3);
    for (auto& id : ids) CHECK(c.get_block(c.random_live(), id).ok());

    // A is back: it no longer needs the first 30 blocks, and after cancelling, claims one of
    // them again within the grace (a file put back).
    std::vector<BlockId> dropped(ids.begin(), ids.begin() + 30);
    auto r = a.cancel(dropped);
    REQUIRE(r.ok());
    CHECK(r->sent == 30);
    c.run_for(cfg.release_grace_ms / 3);
    std::vector<BlockId> back{ids[20]};
    REQUIRE(a.claim(back).ok());
    CHECK(entry(book_a, v, ids[20]) == ClaimEntry{1, ClaimState::live});
    c.run_for(cfg.release_grace_ms + 4 * cfg.repair_ms + 2 * cfg.handoff_ms + 2 * cfg.release_ms);
    for (size_t k = 0; k < ids.size(); ++k) {
      INFO("block " << k << ", held by " << who_holds(c, ids[k]));
      bool needed = k < 10 || k >= 30 || k == 20;  // B's claims, A's kept ones, A's claim again
      if (needed)
        CHECK(c.holders(KeyKind::block, ids[k]) >= 3);
      else
        CHECK(c.holders(KeyKind::block, ids[k]) == 0);
    }
    // B lets its blocks go too: now they leave.
    REQUIRE(b.cancel(shared).ok());
    c.run_for(cfg.release_grace_ms + 4 * cfg.repair_ms + 2 * cfg.handoff_ms + 2 * cfg.release_ms);
    for (size_t k = 0; k < 10; ++k) CHECK(c.holders(KeyKind::block, ids[k]) == 0);
    CHECK(c.holders(KeyKind::block, ids[20]) >= 3);
    CHECK(a.resume()->sent == 0);
  }
}

}  // namespace
}  // namespace sim
}  // namespace peerstore
