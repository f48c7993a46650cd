// ChordNode::count_copies on the simulated ring (the peerstore.replicas attribute): blocks at
// their full count have three copies from wherever they are counted, in the order they were
// asked; an id nobody stored has none; a crashed replica takes a copy away at once, and repair
// brings it back. Over several seeds.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "scenario.h"
#include "test_data.h"

namespace peerstore::sim {
namespace {

TEST_CASE("copies: counted on each key's replica set, through a crash and repair") {
  std::vector<uint64_t> seeds{71, 72, 73, 74, 75};
  if (std::getenv("PEERSTORE_SIM_SEED")) seeds = {seed_or(0)};
  for (uint64_t seed : seeds) {
    INFO("seed " << seed);
    SimCluster c(seed);
    std::string why;
    REQUIRE(c.grow(10, 100));
    REQUIRE_MESSAGE(settle(c, 60000, &why) >= 0, why);
    c.run_for(5000);
    std::vector<TestBlock> blocks;
    for (int i = 0; i < 30; ++i) {
      blocks.push_back(random_block(c.rng()));
      REQUIRE(c.put_block(c.random_live(), blocks.back().id, blocks.back().data).ok());
    }
    c.run_for(20000);  // each at its full count

    // Asked in a random order, with an id nobody stored among them.
    std::vector<Id256> ids;
    for (auto& b : blocks) ids.push_back(b.id);
    Id256 stranger = random_id(c.rng());
    ids.insert(ids.begin() + 7, stranger);
    std::shuffle(ids.begin(), ids.end(), c.rng());
    auto counts = c.count_copies(c.random_live(), ids);
    REQUIRE_MESSAGE(counts.ok(), (counts.ok() ? "" : counts.error().message()));
    REQUIRE(counts->size() == ids.size());
    for (size_t i = 0; i < ids.size(); ++i) CHECK((*counts)[i] == (ids[i] == stranger ? 0u : 3u));

    // A replica of blocks[0] crashes: counted from elsewhere, that block has two copies.
    auto replicas = c.true_successors(blocks[0].id, 3);
    size_t victim = replicas[1];
    c.crash(victim);
    size_t asker = c.random_live();
    auto after = c.count_copies(asker, {blocks[0].id});
    REQUIRE(after.ok());
    CHECK((*after)[0] == 2u);
    // Repair gives it back its third copy on the nodes now responsible for it.
    c.run_for(60000);
    auto repaired = c.count_copies(c.random_live(), {blocks[0].id});
    REQUIRE(repaired.ok());
    CHECK((*repaired)[0] == 3u);
  }
}

TEST_CASE("copies: a node that is not a ring member cannot count") {
  SimCluster c(seed_or(76));
  size_t idle = c.add_node();
  auto r = c.count_copies(idle, {Id256{}});
  CHECK(r.code() == Errc::unavailable);
}

}  // namespace
}  // namespace peerstore::sim
