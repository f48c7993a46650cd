// Ring formation at scale: 1,000 real Chord nodes join one at a time on the simulated network
// (Zave's safety invariants checked after every join and every virtual second), the ring
// stabilizes to the ideal one (every member's successor list is the next r members), and then
// every lookup from a random node for a random key returns the key's true successor, in about
// half of log2(N) hops.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>

#include "dht/ring.h"
#include "scenario.h"
#include "test_data.h"

namespace peerstore::sim {
namespace {

TEST_CASE("sim: 1000 nodes form one ring from joins; every lookup finds the true successor") {
  uint64_t seed = seed_or(1000);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  auto wall = std::chrono::steady_clock::now();
  const size_t N = 1000;
  SimCluster c(seed);
  std::string violation;
  bool grown = c.grow(N, 50, [&] {
    if (violation.empty()) violation = RingChecker::safety(c);
  });
  CHECK(violation == "");
  REQUIRE(grown);
  std::string last;
  int64_t took = settle(c, 300000, &last);
  INFO("ring state: " << last);
  REQUIRE(took >= 0);
  // Fingers converge more slowly than successors: give them a few sweeps.
  c.run_checked(30000, 1000, [&] {
    if (violation.empty()) violation = RingChecker::ideal(c);
  });
  REQUIRE(violation == "");

  size_t lookups = 2000, correct = 0, hops = 0, failed = 0;
  for (size_t k = 0; k < lookups; ++k) {
    Id256 key = random_id(c.rng());
    size_t from = c.random_live();
    auto r = c.lookup(from, key);
    if (!r) {
      ++failed;
      continue;
    }
    hops += r->hops;
    auto truth = c.true_successors(key, 1);
    if (r->successors.front().id == c.peer(truth[0]).id) ++correct;
  }
  double mean = double(hops) / double(lookups - failed);
  double bound = 0.5 * std::log2(double(N)) + 1;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  MESSAGE("1000-node ring: stabilized "
          << took / 1000 << " s (virtual) after the last join; " << correct << "/" << lookups
          << " lookups correct, mean hops " << mean << " (bound " << bound << "); "
          << c.net().stats().delivered << " messages; " << secs << " s wall");
  CHECK(failed == 0);
  CHECK(correct == lookups);
  CHECK(mean <= bound);
}

}  // namespace
}  // namespace peerstore::sim
