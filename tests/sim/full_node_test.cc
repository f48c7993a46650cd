// A full node on the simulated ring (docs/dht.md, Routing around a full node): a replica whose
// store is full refuses a block with no_space, and the writer gives the copy to the next
// successor past the replica set instead, so every block reaches its full count of copies
// without waiting for repair; the full node holds none of them, and still takes records.
#include <doctest/doctest.h>

#include "scenario.h"
#include "sim_seed.h"
#include "test_data.h"

namespace peerstore::sim {
namespace {

TEST_CASE("sim: a block a full replica refuses goes to the next node, at its full count") {
  uint64_t seed = seed_or(53);
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    ChordConfig cfg = sim_config();
    SimCluster c(seed + round, cfg);
    std::string why;
    REQUIRE(c.grow(8, 100));
    REQUIRE(settle(c, 60000, &why) >= 0);
    const size_t full = 3;
    c.peer(full).store->set_capacity(1);  // nothing more fits
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

}  // namespace
}  // namespace peerstore::sim
