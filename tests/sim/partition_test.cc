// Partition and heal: the network splits into two random halves; each half re-forms a correct
// ring of its own and keeps taking writes (including concurrent heads of one volume); after the
// heal the rings find each other through the nodes they had dropped, form one ring again, and
// repair puts every key, old and new, on 3 replicas, with both sibling heads kept.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "scenario.h"

namespace peerstore::sim {
namespace {

// The scenario up to the split: a settled ring of n nodes holding a book of keys and one
// volume's head, split into two random halves (groups 1 and 2). Both test cases below run it, so
// a seed replays the same split in either.
struct Split {
  VolumeKeys shared = make_volume(4242);
  std::vector<size_t> side[3];
};

Split fill_and_split(SimCluster& c, KeyBook& book, size_t n) {
  Split s;
  std::string why;
  REQUIRE(c.grow(n, 100));
  REQUIRE(settle(c, 120000, &why) >= 0);
  REQUIRE(book.fill(c, 1000, 20) == 0);
  REQUIRE(book.put_heads(c, 0, s.shared, make_head(s.shared, {{device_id(1), 1}})).ok());
  REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);
  auto nodes = c.live_nodes();
  std::shuffle(nodes.begin(), nodes.end(), c.rng());
  for (size_t k = 0; k < nodes.size(); ++k) {
    int g = k < nodes.size() / 2 ? 1 : 2;
    c.set_group(nodes[k], g);
    s.side[g].push_back(nodes[k]);
  }
  return s;
}

// Seeds 1003, 1012 and 1025 left a half as two rings before (of 1001-1100, 8 did): a node whose
// whole successor list went to the other side took its predecessor as successor, as if alone;
// the pair then believed it was the whole ring and answered lookups for every key, and the
// nodes around it that rejoined through it closed their arcs into rings of their own.
TEST_CASE(
    "sim: each half of a partition re-forms one ring, also around nodes that lost every "
    "successor") {
  std::vector<uint64_t> seeds{1003, 1012, 1025};
  if (std::getenv("PEERSTORE_SIM_SEED")) seeds = {seed_or(0)};
  for (uint64_t seed : seeds) {
    INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
    SimCluster c(seed);
    KeyBook book;
    fill_and_split(c, book, scaled(200));
    std::string why;
    for (int g = 1; g <= 2; ++g) {
      int64_t t = settle(c, 120000, &why, g, false);
      INFO("half " << g << ": " << why);
      CHECK(t >= 0);
    }
  }
}

TEST_CASE("sim: a partition into two halves and its heal: one ring again, no key lost") {
  uint64_t seed = seed_or(300);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  const size_t N = scaled(200);
  SimCluster c(seed);
  std::string why;
  KeyBook book;
  auto [shared, side] = fill_and_split(c, book, N);
  auto d1 = device_id(1), d2 = device_id(2);
  // A node whose whole successor list went to the other side has no live successor until it
  // finds its own half again, so safety is required only once each half is one ring.
  int64_t t1 = settle(c, 120000, &why, 1, false);
  INFO("half 1: " << why);
  REQUIRE(t1 >= 0);
  int64_t t2 = settle(c, 120000, &why, 2, false);
  INFO("half 2: " << why);
  REQUIRE(t2 >= 0);

  // Both halves keep working: new blocks, and concurrent heads of one volume.
  for (int g = 1; g <= 2; ++g)
    for (int k = 0; k < 100; ++k) {
      size_t from = side[g][c.rng()() % side[g].size()];
      REQUIRE(book.put_block(c, from, random_block(c.rng())).ok());
    }
  REQUIRE(book.put_heads(c, side[1][0], shared, make_head(shared, {{d1, 2}})).ok());
  REQUIRE(book.put_heads(c, side[2][0], shared, make_head(shared, {{d1, 1}, {d2, 1}})).ok());
  c.run_for(20000);

  c.heal();
  int64_t merged = settle(c, 180000, &why, std::nullopt, false);
  if (merged < 0) {
    uint64_t merges = 0, dropped = 0;
    for (size_t i = 0; i < c.size(); ++i)
      if (c.live(i)) {
        merges += c.node(i).stats().merges;
        dropped += c.node(i).routing().dropped().size();
      }
    MESSAGE("merges " << merges << " dropped entries " << dropped);
  }
  INFO("after heal: " << why);
  REQUIRE(merged >= 0);
  int64_t repaired = replicate(c, book, 3, 180000, &why);
  INFO("after heal: " << why);
  REQUIRE(repaired >= 0);
  CHECK(book.check(c, 3).lost == 0);
  CHECK(book.read_all(c) == "");
  auto hs = c.get_heads(c.random_live(), shared.id());
  REQUIRE(hs.ok());
  CHECK(hs->size() == 2);
  uint64_t merges = 0, handed = 0;
  for (size_t i = 0; i < c.size(); ++i)
    if (c.live(i)) {
      merges += c.node(i).stats().merges;
      handed += c.node(i).stats().handoff_pushed;
    }
  MESSAGE("partition of " << N << " nodes: halves settled in " << t1 / 1000 << " s and "
                          << t2 / 1000 << " s; after the heal one ring in " << merged / 1000
                          << " s (" << merges << " merges, " << handed
                          << " keys handed to their owners), every key at 3 copies "
                          << repaired / 1000 << " s later (virtual)");
}

}  // namespace
}  // namespace peerstore::sim

namespace peerstore::sim {
namespace {

TEST_CASE("sim: a partition outlasting the dropped-node memory still heals") {
  uint64_t seed = seed_or(301);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  // Nodes forget unreachable peers after 5 s here, so only the bootstrap addresses (asked once
  // a minute where our successor is on their ring) can bring the halves together again.
  ChordConfig cfg = sim_config();
  cfg.dropped_ttl_ms = 5000;
  const size_t N = scaled(100);
  SimCluster c(seed, cfg);
  std::string why;
  REQUIRE(c.grow(N, 100));
  REQUIRE(settle(c, 120000, &why) >= 0);
  KeyBook book;
  REQUIRE(book.fill(c, 300, 5) == 0);
  auto nodes = c.live_nodes();
  std::shuffle(nodes.begin(), nodes.end(), c.rng());
  for (size_t k = 0; k < nodes.size(); ++k) c.set_group(nodes[k], k < nodes.size() / 2 ? 1 : 2);
  REQUIRE(settle(c, 120000, &why, 1, false) >= 0);
  REQUIRE(settle(c, 120000, &why, 2, false) >= 0);
  c.run_for(30000);
  c.heal();
  int64_t merged = settle(c, 240000, &why, std::nullopt, false);
  INFO("after heal: " << why);
  REQUIRE(merged >= 0);
  REQUIRE(replicate(c, book, 3, 120000, &why) >= 0);
  CHECK(book.read_all(c) == "");
  MESSAGE("long partition of " << N << " nodes: one ring " << merged / 1000
                               << " s after the heal (virtual), through bootstrap probes");
}

}  // namespace
}  // namespace peerstore::sim
