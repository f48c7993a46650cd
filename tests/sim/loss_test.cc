// Message loss: with 10% of all messages dropped, lookups still find the true successor
// (per-hop timeouts retry on the next closest node), reads and writes still succeed, and the
// ring stays one ring.
#include <doctest/doctest.h>

#include <cstdlib>

#include "scenario.h"

namespace peerstore::sim {
namespace {

void run_under_loss(uint64_t seed) {
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  const size_t N = scaled(200);
  SimCluster c(seed);
  std::string why;
  REQUIRE(c.grow(N, 100));
  REQUIRE(settle(c, 120000, &why) >= 0);
  c.run_for(20000);  // fingers
  KeyBook book;
  REQUIRE(book.fill(c, 300, 10) == 0);
  REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);

  c.net().set_loss(0.10);
  std::string violation;
  c.run_checked(30000, 1000, [&] {
    if (violation.empty()) violation = RingChecker::safety(c);
  });
  CHECK(violation == "");
  size_t lookups = 1000, failed = 0, wrong = 0, hops = 0, timeouts = 0;
  for (size_t k = 0; k < lookups; ++k) {
    Id256 key = random_id(c.rng());
    auto r = c.lookup(c.random_live(), key);
    if (!r) {
      if (!failed++)
        MESSAGE("failed: lookup of " << key.short_hex() << ": " << r.error().message() << " at "
                                     << c.net().now_ms());
      continue;
    }
    hops += r->hops;
    timeouts += r->timeouts;
    if (r->successors.front().id != c.peer(c.true_successors(key, 1)[0]).id) {
      ++wrong;
      auto t = c.true_successors(key, 2);
      MESSAGE("wrong: key " << key.short_hex() << " got " << r->successors.front().str()
                            << " truth " << c.peer(t[0]).addr << " " << c.peer(t[1]).addr
                            << " hops " << r->hops << " timeouts " << r->timeouts);
    }
  }
  // Writes and reads under loss.
  size_t write_failures = 0;
  std::string first_write_failure;
  for (int k = 0; k < 100; ++k) {
    auto st = book.put_block(c, c.random_live(), random_block(c.rng()));
    if (st) continue;
    if (!write_failures++) first_write_failure = st.error().message();
  }
  INFO("first failed write: " << first_write_failure);
  std::string reads = book.read_all(c);
  auto lost = c.net().stats().lost;
  uint64_t drops = 0;
  for (size_t i = 0; i < c.size(); ++i) drops += c.node(i).stats().successor_drops;
  MESSAGE("10% loss, " << N << " nodes: " << lookups - failed << "/" << lookups
                       << " lookups succeeded, " << wrong << " wrong, mean hops "
                       << double(hops) / double(lookups - failed) << " with " << timeouts
                       << " hop timeouts; " << write_failures << "/100 writes failed; " << lost
                       << " messages lost; " << drops << " successors dropped");
  CHECK(failed == 0);
  CHECK(wrong == 0);
  // No node crashes here: every successor dropped was a live one.
  CHECK(drops == 0);
  CHECK(write_failures == 0);
  CHECK(reads == "");
  violation.clear();
  c.run_checked(10000, 1000, [&] {
    if (violation.empty()) violation = RingChecker::safety(c);
  });
  CHECK(violation == "");
  c.net().set_loss(0);
  REQUIRE(settle(c, 60000, &why) >= 0);
  REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);
}

// Seeds 1026 and 1048 gave one wrong lookup of 1000 each before (1057 too, of 1001-1100): a
// live successor missed two stabilizations and then a burst of three pings one after the other
// (about 1 in 150 such bursts fails under 10 % loss), and was dropped (8 times in seed 1026's
// run); its predecessor took it back 130 ms later, but the nodes behind had copied the list
// without it and answered lookups of its keys with the next node for a few seconds. Seed 1042
// failed a lookup (48 queries) once drops were fixed: two lost verification pings (see
// Lookup::verify) made it blame the two nodes that knew the key's successor.
TEST_CASE("sim: 10% message loss: lookups, reads and writes still succeed") {
  std::vector<uint64_t> seeds{400, 1026, 1042, 1048};
  if (std::getenv("PEERSTORE_SIM_SEED")) seeds = {seed_or(0)};
  for (uint64_t seed : seeds) run_under_loss(seed);
}

}  // namespace
}  // namespace peerstore::sim
