// Crashes: a fifth of the ring crashes, one node at a time, and after each crash the survivors
// bring every key back to 3 copies on its true replicas before the next one; no key is ever
// lost, and the ring invariants hold after every virtual second.
#include <doctest/doctest.h>

#include <algorithm>

#include "scenario.h"

namespace peerstore::sim {
namespace {

TEST_CASE("sim: 20% of nodes crash one at a time; repair keeps every key at 3 copies") {
  uint64_t seed = seed_or(200);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  const size_t N = scaled(400);
  SimCluster c(seed);
  std::string violation, why;
  REQUIRE(c.grow(N, 100, [&] {
    if (violation.empty()) violation = RingChecker::safety(c);
  }));
  REQUIRE(violation == "");
  REQUIRE(settle(c, 120000, &why) >= 0);
  KeyBook book;
  REQUIRE(book.fill(c, 2000, 40) == 0);
  REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);

  int64_t worst = 0, total = 0;
  const size_t crashes = N / 5;
  for (size_t k = 0; k < crashes; ++k) {
    size_t victim = c.random_live();
    c.crash(victim);
    int64_t t = replicate(c, book, 3, 120000, &why);
    INFO("crash " << k << " of " << c.peer(victim).addr << ": " << why);
    REQUIRE(t >= 0);
    CHECK(book.check(c, 1).lost == 0);
    worst = std::max(worst, t);
    total += t;
  }
  REQUIRE(settle(c, 60000, &why) >= 0);
  CHECK(book.read_all(c) == "");
  uint64_t pushed = 0, pulled = 0;
  for (size_t i = 0; i < c.size(); ++i)
    if (c.live(i)) {
      pushed += c.node(i).stats().keys_pushed;
      pulled += c.node(i).stats().keys_pulled;
    }
  MESSAGE(crashes << " crashes of " << N << " nodes, " << book.size()
                  << " keys: back at 3 copies after each in " << total / int64_t(crashes) / 1000.0
                  << " s on average, " << worst / 1000.0 << " s at worst (virtual); repair pushed "
                  << pushed << " and pulled " << pulled << " keys; no key lost");
}

}  // namespace
}  // namespace peerstore::sim
