// estimate_ring_size: exact for a ring the successor list holds whole, and within the Chord
// estimate's error for rings of random ids many times larger than the list.
#include "dht/ring_size.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "dht/ring.h"
#include "sim_seed.h"

namespace peerstore {
namespace {

Id256 random_id(std::mt19937_64& rng) {
  Id256 id;
  for (size_t i = 0; i < id.b.size(); i += 8) put_u64be(id.b.data() + i, rng());
  return id;
}

TEST_CASE("ring size: a ring the successor list holds whole is counted exactly") {
  std::mt19937_64 rng(sim::seed_or(7));
  Id256 self = random_id(rng);
  CHECK(estimate_ring_size(self, {}, 8) == 1);
  std::vector<NodeRef> succs;
  for (int i = 0; i < 5; ++i) succs.push_back({random_id(rng), "n" + std::to_string(i)});
  CHECK(estimate_ring_size(self, succs, 8) == 6);
  // A small ring's list repeats nodes and may name this one: each counts once.
  succs.push_back(succs[0]);
  succs.push_back({self, "self"});
  CHECK(estimate_ring_size(self, succs, 8) == 6);
}

TEST_CASE("ring size: a large ring is estimated from how much of it the list spans") {
  uint64_t seed = sim::seed_or(11);
  std::mt19937_64 rng(seed);
  for (size_t n : {20u, 200u, 5000u}) {
    std::vector<Id256> ids;
    for (size_t i = 0; i < n; ++i) ids.push_back(random_id(rng));
    std::sort(ids.begin(), ids.end());
    // The median over every node's estimate: each is off by about 1/sqrt(8), the median less.
    std::vector<double> estimates;
    for (size_t i = 0; i < n; ++i) {
      std::vector<NodeRef> succs;
      for (size_t k = 1; k <= 8; ++k) succs.push_back({ids[(i + k) % n], "x"});
      estimates.push_back(estimate_ring_size(ids[i], succs, 8));
    }
    std::nth_element(estimates.begin(), estimates.begin() + long(n / 2), estimates.end());
    double median = estimates[n / 2];
    INFO("seed " << seed << ", " << n << " nodes, median estimate " << median);
    CHECK(median > 0.7 * double(n));
    CHECK(median < 1.3 * double(n));
    for (double e : estimates) CHECK(e >= 9);  // never fewer than the nodes it knows
  }
}

}  // namespace
}  // namespace peerstore
