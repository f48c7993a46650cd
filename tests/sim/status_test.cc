// Node status: what a node reports over the wire (get_status) and locally, and its count of keys
// below their replica target: every key while the ring is smaller than the replica count, the
// keys a crashed replica held until repair has re-created them, and 0 once repair is done.
#include <doctest/doctest.h>

#include "scenario.h"
#include "support/sim_clock.h"
#include "support/sim_transport.h"

namespace peerstore::sim {
namespace {

uint64_t total_below_target(SimCluster& c) {
  uint64_t n = 0;
  for (size_t i : c.live_nodes()) n += c.node(i).status().below_target;
  return n;
}

// Runs in 1 s steps until no live node reports a key below target. Returns false at max_ms.
bool wait_all_at_target(SimCluster& c, int64_t max_ms) {
  for (int64_t t = 0; t <= max_ms; t += 1000) {
    if (total_below_target(c) == 0) return true;
    c.run_for(1000);
  }
  return false;
}

TEST_CASE("sim: status over the wire; a ring smaller than the replica count is below target") {
  uint64_t seed = seed_or(23);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  REQUIRE(c.grow(2, 100));
  std::string why;
  REQUIRE(settle(c, 30000, &why) >= 0);
  KeyBook book;
  REQUIRE(book.fill(c, 40, 4) == 0);
  c.run_for(10000);  // repair rounds: with two members no key can reach 3 copies
  CHECK(total_below_target(c) == book.size());
  for (size_t i = 0; i < 2; ++i) {
    CHECK(c.node(i).status().blocks == 40);
    CHECK(c.node(i).status().head_sets == 4);
  }

  // The same over the wire, with the pending uploads the hosting process reports.
  c.node(0).set_host_facts([](msg::NodeStatus& s) {
    s.pending_uploads = 7;
    s.last_collection_ns = 1234567;
    s.last_collection_freed = 89;
    s.collection_failures = 2;
  });
  int ep = c.net().add_endpoint("client");
  SimTransport transport(c.net(), ep);
  SimClock clock(c.net(), ep);
  Rpc client(transport, clock, NodeRef{Id256{}, "client"});
  std::optional<Result<Message>> answer;
  client.call(c.peer(0).addr, msg::GetStatus{}, 1000, [&](Result<Message> r) { answer = r; });
  c.run_for(200);
  REQUIRE(answer);
  REQUIRE(answer->ok());
  auto* s = std::get_if<msg::NodeStatus>(&(*answer)->body);
  REQUIRE(s);
  auto local = c.node(0).status();
  CHECK(s->self == c.node(0).self());
  CHECK(s->state == "member");
  REQUIRE(s->predecessor);
  CHECK(s->predecessor->id == c.peer(1).id);
  REQUIRE(s->successors.size() == 1);
  CHECK(s->successors[0].id == c.peer(1).id);
  CHECK(s->blocks == 40);
  CHECK(s->head_sets == 4);
  CHECK(s->block_bytes == local.block_bytes);
  CHECK(s->block_bytes > 40 * 32);
  CHECK(s->below_target == local.below_target);
  CHECK(s->pending_uploads == 7);
  CHECK(s->last_collection_ns == 1234567);
  CHECK(s->last_collection_freed == 89);
  CHECK(s->collection_failures == 2);
  CHECK(s->uptime_ms > 10000);
  CHECK(s->uptime_ms <= local.uptime_ms);

  // A third member: repair brings every key to 3 copies, and every node reports 0.
  size_t third = c.add_node();
  REQUIRE(c.join(third).ok());
  REQUIRE(settle(c, 30000, &why) >= 0);
  REQUIRE(replicate(c, book, 3, 30000, &why) >= 0);
  CHECK(wait_all_at_target(c, 20000));
}

TEST_CASE("sim: after a crash the primaries report keys below target until repair has run") {
  uint64_t seed = seed_or(24);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  REQUIRE(c.grow(24, 100));
  std::string why;
  REQUIRE(settle(c, 60000, &why) >= 0);
  KeyBook book;
  REQUIRE(book.fill(c, 300, 10) == 0);
  REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);
  REQUIRE(wait_all_at_target(c, 30000));

  for (int k = 0; k < 3; ++k) {
    size_t victim = c.random_live();
    while (c.node(victim).status().blocks == 0) victim = c.random_live();
    c.crash(victim);
    // Its neighbours notice within a few seconds; until repair re-created the copies they count.
    uint64_t peak = 0;
    for (int t = 0; t < 300 && peak == 0; ++t) {
      c.run_for(50);
      peak = std::max(peak, total_below_target(c));
    }
    INFO("crash " << k << " of " << c.peer(victim).addr);
    CHECK(peak > 0);
    REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);
    CHECK(wait_all_at_target(c, 30000));
  }
}

}  // namespace
}  // namespace peerstore::sim
