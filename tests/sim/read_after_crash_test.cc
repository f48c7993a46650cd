// Reads right after crashes: two of five storage nodes crash (silently: their peers see
// timeouts, as with a host that lost power), a new node joins through a survivor and at once
// reads every block a writer placed before. Its lookups meet successor lists that still name the
// dead nodes; a read must ask again once the ring has routed around them rather than fail (10 of
// 40 seeds failed before reads retried; this runs 12 of them, 4 that failed).
#include <doctest/doctest.h>

#include "scenario.h"
#include "test_data.h"

namespace peerstore::sim {
namespace {

TEST_CASE("sim: every block reads through a new node right after two of five nodes crash") {
  uint64_t base = seed_or(200);
  for (uint64_t seed = base; seed < base + 12; ++seed) {
    INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
    SimCluster c(seed);
    std::string why;
    REQUIRE(c.grow(5, 100));
    REQUIRE(settle(c, 60000, &why) >= 0);
    c.run_for(5000);
    size_t writer = c.add_node();
    REQUIRE(c.join(writer).ok());
    c.run_for(2000);
    std::vector<TestBlock> blocks;
    for (int k = 0; k < 100; ++k) {
      blocks.push_back(random_block(c.rng()));
      REQUIRE(c.put_block(writer, blocks.back().id, blocks.back().data).ok());
    }
    REQUIRE(c.leave(writer).ok());
    std::vector<size_t> live = c.live_nodes();
    size_t a = live[c.rng()() % live.size()], b;
    do {
      b = live[c.rng()() % live.size()];
    } while (b == a);
    c.crash(a);
    c.crash(b);
    // A computer that mounts right then: a new node joins through a survivor (which may still
    // name the dead as its successors: the join tries again until it gets in) and reads at once.
    size_t reader = c.add_node();
    Status joined = c.join(reader);
    for (int k = 0; k < 10 && !joined; ++k) {
      c.run_for(1000);
      joined = c.join(reader);
    }
    REQUIRE(joined.ok());
    int unreadable = 0;
    std::string first;
    for (auto& blk : blocks) {
      auto got = c.get_block(reader, blk.id);
      if (got && *got == blk.data) continue;
      if (!unreadable++) first = got ? "wrong bytes" : got.error().message();
    }
    INFO("first failure: " << first);
    CHECK(unreadable == 0);
  }
}

}  // namespace
}  // namespace peerstore::sim
