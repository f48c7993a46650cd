// A full node on the simulated ring (docs/dht.md, Routing around a full node): a replica whose
// store is full refuses a block with no_space, and the writer gives the copy to the next
// successor past the replica set instead, so every block reaches its full count of copies
// without waiting for repair; the full node holds none of them. Repair does the same when a
// death makes the full node a replica of keys it lacks.
#include <doctest/doctest.h>

#include "scenario.h"
#include "sim_seed.h"
#include "test_data.h"

namespace peerstore::sim {
namespace {

// Eight nodes, settled; then node `full`'s store takes nothing more.
void grow_with_full(SimCluster& c, size_t full) {
  std::string why;
  REQUIRE(c.grow(8, 100));
  REQUIRE_MESSAGE(settle(c, 60000, &why) >= 0, why);
  c.peer(full).store->set_capacity(1);
}

TEST_CASE("sim: a block a full replica refuses goes to the next node, at its full count") {
  uint64_t seed = seed_or(53);
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    ChordConfig cfg = sim_config();
    SimCluster c(seed + round, cfg);
    const size_t full = 3;
    grow_with_full(c, full);
    std::vector<TestBlock> blocks;
    for (int i = 0; i < 40; ++i) {
      blocks.push_back(random_block(c.rng()));
      size_t writer = c.random_live();
      while (writer == full) writer = c.random_live();
      Status put = c.put_block(writer, blocks.back().id, blocks.back().data);
      INFO("block " << i << ": " << (put ? "stored" : put.error().message()));
      REQUIRE(put.ok());
    }
    // Well under a repair period: only the writers' own rounds place the copies.
    c.run_for(std::min<int64_t>(3000, cfg.repair_ms / 2));
    for (auto& b : blocks) {
      CHECK(c.holders(KeyKind::block, b.id) == cfg.replicas);
      CHECK_FALSE(c.node(full).storage().contains(KeyKind::block, b.id));
    }
    CHECK(c.node(full).stats().rejected_blocks > 0);  // some were the full node's to hold
  }
}

// The live node that is `key`'s successor: the primary of its replica set.
size_t primary_of(SimCluster& c, const Id256& key) {
  size_t best = c.size(), first = c.size();
  for (size_t i = 0; i < c.size(); ++i) {
    if (!c.peer(i).alive) continue;
    const Id256& id = c.node(i).self().id;
    if (first == c.size() || id < c.node(first).self().id) first = i;
    if (!(id < key) && (best == c.size() || id < c.node(best).self().id)) best = i;
  }
  return best == c.size() ? first : best;
}

TEST_CASE("sim: repair gives a full replica's copies to the next node when another dies") {
  uint64_t seed = seed_or(59);
  size_t acted_for = 0;
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    ChordConfig cfg = sim_config();
    SimCluster c(seed + round, cfg);
    const size_t full = 3, dies = 5;
    grow_with_full(c, full);
    std::vector<TestBlock> blocks;
    for (int i = 0; i < 60; ++i) {
      blocks.push_back(random_block(c.rng()));
      Status put = c.put_block(0, blocks.back().id, blocks.back().data);
      INFO("block " << i << ": " << (put ? "stored" : put.error().message()));
      REQUIRE(put.ok());
    }
    c.run_for(cfg.repair_ms / 2);
    // A replica dies: where the full node now takes its place in a replica set, repair must
    // give the copy to the node past the set instead.
    c.crash(dies);
    c.run_for(8 * cfg.repair_ms);
    for (auto& b : blocks) {
      CHECK_FALSE(c.node(full).storage().contains(KeyKind::block, b.id));
      // Also a key whose primary is the full node: its successor acts for it.
      CHECK(c.holders(KeyKind::block, b.id) == cfg.replicas);
      acted_for += primary_of(c, b.id) == full;
    }
  }
  CHECK(acted_for > 0);  // over the rounds, some keys were the full node's own
}

}  // namespace
}  // namespace peerstore::sim
