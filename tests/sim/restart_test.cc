// A node that crashes and starts again at the same address, with the same id, before the ring
// noticed it was gone (a computer that restarts quickly): its join finds the ring still listing
// it, and must take that entry as itself instead of failing until the ring forgets it.
#include <doctest/doctest.h>

#include "scenario.h"

namespace peerstore::sim {
namespace {

TEST_CASE("sim: a node restarted at its address right after a crash joins at once") {
  for (uint64_t seed : {seed_or(31), seed_or(31) + 1, seed_or(31) + 2}) {
    INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
    SimCluster c(seed);
    REQUIRE(c.grow(12, 100));
    std::string why;
    REQUIRE(settle(c, 120000, &why) >= 0);
    size_t victim = 5;
    c.crash(victim);
    c.run_for(200);  // far less than it takes the ring to drop it
    c.restart(victim);
    int64_t start = c.net().now_ms();
    Status joined = c.join(victim);
    INFO("join: " << (joined ? std::string("ok") : joined.error().message()));
    CHECK(joined.ok());
    CHECK(c.net().now_ms() - start < 5000);
    REQUIRE(settle(c, 120000, &why) >= 0);
    CHECK(RingChecker::safety(c) == "");
    CHECK(c.live(victim));
  }
}

}  // namespace
}  // namespace peerstore::sim
