// Ring collection on the simulated ring (docs/lifecycle.md, Ring collection): a block whose
// every claim is cancelled leaves all its replicas once the grace is over, also the replica that
// missed the cancel (repair brings it), and repair never moves it back; a block with a live
// claim, and a block without claims, stay on all of theirs; a released block written again
// starts its grace again, so its writer's claim, on its way, is never too late; a lone node
// (a single computer's ring) releases after the short grace, and never again once another node
// came, even after it left; the tombstones of released blocks go after their horizon, and
// repair does not bring them back.
#include <doctest/doctest.h>

#include "scenario.h"
#include "sim_seed.h"
#include "test_data.h"

namespace peerstore::sim {
namespace {

Id256 secret_of(uint64_t n) {
  Id256 s;
  put_u64be(s.b.data(), n);
  s.b[31] = 0xc1;
  return s;
}

Bytes claim_of(uint64_t n) {
  return ClaimSet::encode_claim(Claim{claim_tag(secret_of(n)), 1, std::nullopt, 0});
}

Bytes cancel_of(uint64_t n) {
  return ClaimSet::encode_claim(Claim{claim_tag(secret_of(n)), 1, secret_of(n), 0});
}

// While `blocking`, the node `to` gets none of the claims of `block` (put_records).
void drop_claims_to(SimCluster& c, size_t to, const Id256& block, const bool& blocking) {
  c.net().set_tamper([&blocking, block, addr = c.peer(to).addr](const std::string&,
                                                                const std::string& dest, Bytes& m) {
    if (!blocking || dest != addr) return true;
    auto d = Message::decode(m);
    auto* put = d ? std::get_if<msg::PutRecords>(&d->body) : nullptr;
    return !(put && put->kind == KeyKind::claims && put->owner == block);
  });
}

TEST_CASE("sim: a block no claimant needs leaves every replica after its grace, and stays gone") {
  uint64_t seed = seed_or(31);
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    ChordConfig cfg = release_config();
    SimCluster c(seed + round, cfg);
    std::string why;
    REQUIRE(c.grow(12, 100));
    REQUIRE(settle(c, 60000, &why) >= 0);
    auto released = random_block(c.rng()), claimed = random_block(c.rng()),
         unclaimed = random_block(c.rng());
    for (auto* b : {&released, &claimed, &unclaimed})
      REQUIRE(c.put_block(c.random_live(), b->id, b->data).ok());
    REQUIRE(c.put_records(c.random_live(), KeyKind::claims, released.id, {claim_of(1), claim_of(2)})
                .ok());
    REQUIRE(c.put_records(c.random_live(), KeyKind::claims, claimed.id, {claim_of(3), cancel_of(4)})
                .ok());
    // One replica misses the cancels at first (the writer's retries or repair bring them).
    size_t missing = c.true_successors(released.id, 3)[2];
    bool blocking = true;
    drop_claims_to(c, missing, released.id, blocking);
    REQUIRE(
        c.put_records(c.random_live(), KeyKind::claims, released.id, {cancel_of(1), cancel_of(2)})
            .ok());
    c.run_for(1000);
    blocking = false;
    CHECK(c.holders(KeyKind::block, released.id) == 3);
    CHECK_FALSE(c.node(missing).storage().released(released.id));

    c.run_for(cfg.release_grace_ms + 4 * cfg.repair_ms + 2 * cfg.release_ms);
    CHECK(c.holders(KeyKind::block, released.id) == 0);
    CHECK(c.holders(KeyKind::block, claimed.id) == 3);
    CHECK(c.holders(KeyKind::block, unclaimed.id) == 3);
    // Repair rounds later, nobody has brought it back.
    c.run_for(10 * cfg.repair_ms);
    CHECK(c.holders(KeyKind::block, released.id) == 0);
    size_t erased = 0;
    for (size_t i = 0; i < c.size(); ++i) erased += c.node(i).release_stats().released;
    CHECK(erased >= 3);
  }
}

TEST_CASE(
    "sim: tombstones leave every replica after their horizon, and repair never brings them back") {
  uint64_t seed = seed_or(43);
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    ChordConfig cfg = release_config();
    cfg.tombstone_ms = 60000;
    SimCluster c(seed + round, cfg);
    std::string why;
    REQUIRE(c.grow(12, 100));
    REQUIRE(settle(c, 60000, &why) >= 0);
    auto released = random_block(c.rng()), claimed = random_block(c.rng());
    for (auto* b : {&released, &claimed})
      REQUIRE(c.put_block(c.random_live(), b->id, b->data).ok());
    // One replica misses the claims and the cancels, and holds the block: repair must still
    // send it the tombstone, or it keeps the block for good.
    size_t missing = c.true_successors(released.id, 3)[2];
    bool blocking = true;
    drop_claims_to(c, missing, released.id, blocking);
    REQUIRE(c.put_records(c.random_live(), KeyKind::claims, released.id, {claim_of(1)}).ok());
    REQUIRE(c.put_records(c.random_live(), KeyKind::claims, released.id, {cancel_of(1)}).ok());
    REQUIRE(c.put_records(c.random_live(), KeyKind::claims, claimed.id, {claim_of(2)}).ok());
    CHECK(c.node(missing).storage().contains(KeyKind::block, released.id));
    CHECK_FALSE(c.node(missing).storage().contains(KeyKind::claims, released.id));
    // It hears of them only once the others have erased their copies.
    c.run_for(cfg.release_grace_ms + 4 * cfg.repair_ms + 2 * cfg.release_ms);
    CHECK(c.holders(KeyKind::block, released.id) == 1);
    CHECK_FALSE(c.node(missing).storage().contains(KeyKind::claims, released.id));
    blocking = false;

    c.run_for(cfg.release_grace_ms + 4 * cfg.repair_ms + 2 * cfg.release_ms);
    CHECK(c.holders(KeyKind::block, released.id) == 0);
    CHECK(c.holders(KeyKind::claims, released.id) >= 3);  // the tombstones
    c.run_for(2 * cfg.tombstone_ms + 2 * cfg.release_ms);
    CHECK(c.holders(KeyKind::claims, released.id) == 0);
    // Repair and handoff rounds later, no replica has brought one back, and the claimed block
    // and its claims are where they were.
    for (int i = 0; i < 10; ++i) {
      c.run_for(std::max(cfg.repair_ms, cfg.handoff_ms));
      CHECK(c.holders(KeyKind::claims, released.id) == 0);
      CHECK(c.holders(KeyKind::block, released.id) == 0);
    }
    CHECK(c.holders(KeyKind::block, claimed.id) == 3);
    CHECK(c.holders(KeyKind::claims, claimed.id) == 3);
    uint64_t dropped = 0;
    for (size_t i = 0; i < c.size(); ++i) dropped += c.node(i).release_stats().tombstones_dropped;
    CHECK(dropped >= 3);
  }
}

TEST_CASE("sim: a released block written again gets a whole grace for its writer's claim") {
  uint64_t seed = seed_or(37);
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    ChordConfig cfg = release_config();
    SimCluster c(seed + round, cfg);
    std::string why;
    REQUIRE(c.grow(8, 100));
    REQUIRE(settle(c, 60000, &why) >= 0);
    auto late = random_block(c.rng()), unclaimed_again = random_block(c.rng());
    for (auto* b : {&late, &unclaimed_again}) {
      REQUIRE(c.put_block(c.random_live(), b->id, b->data).ok());
      REQUIRE(
          c.put_records(c.random_live(), KeyKind::claims, b->id, {claim_of(5), cancel_of(5)}).ok());
    }
    // Most of the grace later both are written again (the same chunk in a new file); the claim
    // of `late` comes later still, after its first grace is over.
    c.run_for(cfg.release_grace_ms * 3 / 4);
    for (auto* b : {&late, &unclaimed_again})
      REQUIRE(c.put_block(c.random_live(), b->id, b->data).ok());
    c.run_for(cfg.release_grace_ms / 2);
    CHECK(c.holders(KeyKind::block, late.id) == 3);  // without the restart: gone by now
    CHECK(c.holders(KeyKind::block, unclaimed_again.id) == 3);
    REQUIRE(c.put_records(c.random_live(), KeyKind::claims, late.id, {claim_of(6)}).ok());
    c.run_for(cfg.release_grace_ms + 4 * cfg.repair_ms + 2 * cfg.release_ms);
    CHECK(c.holders(KeyKind::block, late.id) == 3);
    // Nobody claimed the other: it goes a grace after its last put.
    CHECK(c.holders(KeyKind::block, unclaimed_again.id) == 0);
  }
}

TEST_CASE("sim: a lone node releases after the short grace, and never again once another came") {
  uint64_t seed = seed_or(41);
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    ChordConfig cfg = release_config();
    cfg.lone_release_grace_ms = 3000;
    cfg.lone_release_ms = 500;
    // The full-length sweep period far above the lone one: the lone node's first sweep must
    // come within the lone period too (it once came at a random point of the full one).
    cfg.release_ms = 20000;
    cfg.release_grace_ms = 300000;  // far above the waits below, which span sweeps of 20 s
    SimCluster c(seed + round, cfg);
    REQUIRE(c.grow(1, 100));
    auto released = [&](uint64_t n) {
      auto b = random_block(c.rng());
      Status put = c.put_block(0, b.id, b.data);
      INFO("block " << n << ": " << (put ? "stored" : put.error().message()));
      REQUIRE(put.ok());
      REQUIRE(c.put_records(0, KeyKind::claims, b.id, {claim_of(n), cancel_of(n)}).ok());
      return b;
    };
    auto alone = released(1);
    c.run_for(cfg.lone_release_grace_ms + 3 * cfg.lone_release_ms);
    CHECK(c.holders(KeyKind::block, alone.id) == 0);

    // A grace that began alone and saw another node come takes the full length.
    auto before = released(2);
    c.run_for(cfg.lone_release_grace_ms / 2);
    size_t other = c.add_node();
    REQUIRE(c.join(other).ok());
    c.run_for(cfg.lone_release_grace_ms + 3 * cfg.release_ms);
    CHECK(c.node(0).storage().contains(KeyKind::block, before.id));
    // The other node leaves: node 0 is alone again, but no longer lone.
    REQUIRE(c.leave(other).ok());
    c.run_for(10 * cfg.stabilize_ms);  // node 0 learns it is alone
    auto after = released(3);
    c.run_for(cfg.lone_release_grace_ms + 3 * cfg.release_ms);
    CHECK(c.node(0).storage().contains(KeyKind::block, after.id));
    CHECK(c.node(0).storage().contains(KeyKind::block, before.id));
    c.run_for(cfg.release_grace_ms + 2 * cfg.release_ms);
    CHECK_FALSE(c.node(0).storage().contains(KeyKind::block, after.id));
    CHECK_FALSE(c.node(0).storage().contains(KeyKind::block, before.id));
  }
}

}  // namespace
}  // namespace peerstore::sim
