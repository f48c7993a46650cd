// The durability contract on the simulated ring (docs/dht.md, "Durability"): a write
// acknowledged at its quorum is brought to its full count by its writer, which reports the key
// below target meanwhile and measures how long it stayed there; a writer that leaves does so only
// once its writes are at full count, so losing two replicas right after it left loses nothing;
// one that cannot get there in bounded time says so.
#include <doctest/doctest.h>

#include "dht/replicator.h"
#include "scenario.h"
#include "support/sim_clock.h"
#include "support/sim_transport.h"
#include "test_data.h"

namespace peerstore::sim {
namespace {

struct Setup {
  size_t writer = 0;
  TestBlock block;
  std::vector<size_t> replicas;  // the block's true replica set, the writer not among them
};

// A settled ring of 12.
void grow_ring(SimCluster& c) {
  std::string why;
  REQUIRE(c.grow(12, 100));
  REQUIRE(settle(c, 60000, &why) >= 0);
}

// Every node responsible for `id` now holds it.
void check_replicas_hold(SimCluster& c, const Id256& id) {
  for (size_t r : c.true_successors(id, 3)) {
    INFO("replica " << c.peer(r).addr);
    CHECK(c.node(r).storage().contains(KeyKind::block, id));
  }
}

// A ring of 12 and a block whose replicas do not include the writer.
Setup prepare(SimCluster& c) {
  grow_ring(c);
  c.run_for(5000);
  Setup s;
  s.writer = c.random_live();
  for (;;) {
    s.block = random_block(c.rng());
    s.replicas = c.true_successors(s.block.id, 3);
    if (std::find(s.replicas.begin(), s.replicas.end(), s.writer) == s.replicas.end()) break;
  }
  return s;
}

// Puts `b` to node `writer` from a client outside the ring, as a put_block message: the node
// keeps a copy (here one outside its range) and writes it to the key's replicas.
void put_through_client(SimCluster& c, size_t writer, const TestBlock& b) {
  int ep = c.net().add_endpoint("client");
  SimTransport transport(c.net(), ep);
  SimClock clock(c.net(), ep);
  Rpc client(transport, clock, NodeRef{Id256{}, "client"});
  bool stored = false;
  client.call(c.peer(writer).addr, msg::PutBlock{b.id, b.data}, 10000,
              [&](Result<Message> r) { stored = r.ok(); });
  for (int t = 0; t < 5000 && !stored; ++t) c.run_for(1);
  REQUIRE(stored);
}

// Drops every put_block of `id` addressed to `to` while *on.
void drop_puts_to(SimCluster& c, const std::string& to, const Id256& id, const bool* on) {
  c.net().set_tamper([to, id, on](const std::string&, const std::string& dest, Bytes& m) {
    if (!*on || dest != to) return true;
    auto d = Message::decode(m);
    auto* put = d ? std::get_if<msg::PutBlock>(&d->body) : nullptr;
    return !(put && put->id == id);
  });
}

TEST_CASE("sim: a write at quorum reaches its third replica before its writer leaves") {
  uint64_t seed = seed_or(91);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  Setup s = prepare(c);
  size_t third = s.replicas[2];
  bool blocking = true;
  drop_puts_to(c, c.peer(third).addr, s.block.id, &blocking);

  REQUIRE(c.put_block(s.writer, s.block.id, s.block.data).ok());
  // Longer than every re-send of the first round and a repair period: the third replica is
  // unreachable for this key, from the writer and from the primary's repair alike.
  c.run_for(8000);
  CHECK_FALSE(c.node(third).storage().contains(KeyKind::block, s.block.id));
  // The writer knows the key is short of a copy, and says so.
  CHECK(c.node(s.writer).status().below_target >= 1);

  blocking = false;
  Status left = c.await<Status>([&](auto cb) { c.node(s.writer).leave(cb); },
                                fail(Errc::timeout, "leave did not finish"), 60000);
  INFO("leave: " << (left ? std::string("ok") : left.error().message()));
  CHECK(left.ok());
  // The writer left only once the third copy was there: both other replicas may go at once.
  CHECK(c.node(third).storage().contains(KeyKind::block, s.block.id));
  c.crash(s.replicas[0]);
  c.crash(s.replicas[1]);
  c.run_for(100);
  size_t reader = c.random_live();
  auto got = c.get_block(reader, s.block.id);
  INFO("read through " << c.peer(reader).addr << ": "
                       << (got ? std::string("ok") : got.error().message()));
  REQUIRE(got.ok());
  CHECK(*got == s.block.data);
  const auto st = c.node(s.writer).replication_stats();
  c.crash(s.writer);  // the process exits
  CHECK(st.full == 1);
  CHECK(st.resends >= 1);
  MESSAGE("the write spent " << st.longest_short_ms << " ms (virtual) at quorum below target");
  CHECK(st.longest_short_ms >= 8000);
}

TEST_CASE("sim: writes reach their full count promptly, and the writer's status returns to 0") {
  uint64_t seed = seed_or(92);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  Setup s = prepare(c);
  for (int k = 0; k < 50; ++k) {
    auto b = random_block(c.rng());
    REQUIRE(c.put_block(s.writer, b.id, b.data).ok());
  }
  c.run_for(2000);
  const auto& st = c.node(s.writer).replication_stats();
  CHECK(st.writes == 50);
  CHECK(st.full == 50);
  CHECK(st.resends == 0);
  // Latencies are 5-50 ms: the third copy follows the second within a round trip or two.
  CHECK(st.longest_short_ms <= 200);
  MESSAGE("50 writes: longest time at quorum below target " << st.longest_short_ms << " ms");
}

TEST_CASE("sim: a writer whose write cannot reach its full count fails its leave, loudly") {
  uint64_t seed = seed_or(93);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  Setup s = prepare(c);
  bool blocking = true;
  drop_puts_to(c, c.peer(s.replicas[2]).addr, s.block.id, &blocking);
  REQUIRE(c.put_block(s.writer, s.block.id, s.block.data).ok());
  Status left = c.leave(s.writer);
  REQUIRE_FALSE(left.ok());
  INFO(left.error().message());
  CHECK(left.error().message().find("full replica count") != std::string::npos);
  CHECK(left.error().message().find("1 keys below") != std::string::npos);
  // It names the key, and the replica that never acknowledged it, so the cause can be found.
  CHECK(left.error().message().find("key " + s.block.id.short_hex() + ": 2 of 3 copies") !=
        std::string::npos);
  CHECK(left.error().message().find(
            "not acknowledged by " +
            NodeRef{c.peer(s.replicas[2]).id, c.peer(s.replicas[2]).addr}.str()) !=
        std::string::npos);
}

TEST_CASE("sim: a leaving node's copies of other nodes' keys reach those keys' replicas") {
  uint64_t seed = seed_or(94);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  Setup s = prepare(c);  // a block whose replicas do not include the writer
  // The block reaches only the writer, as a copy left over from churn or a partition would.
  put_through_client(c, s.writer, s.block);
  for (size_t r : s.replicas)
    REQUIRE_FALSE(c.node(r).storage().contains(KeyKind::block, s.block.id));

  Status left = c.leave(s.writer);
  INFO("leave: " << (left ? std::string("ok") : left.error().message()));
  CHECK(left.ok());
  for (size_t r : s.replicas) {
    INFO("replica " << c.peer(r).addr);
    CHECK(c.node(r).storage().contains(KeyKind::block, s.block.id));
  }
}

// The replica that died stays in the other nodes' successor lists for a stabilization or two,
// which is longer than a leave may take: the leaver's retries must skip a node that did not take
// keys and offer them to the next one. Before, about half the seeds (5 of these 6) timed out
// with the new third replica lacking the block.
TEST_CASE("sim: a leaver offers its stray copies again when a replica just died") {
  uint64_t seed = seed_or(96);
  for (uint64_t round = 0; round < 6; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    SimCluster c(seed + round);
    Setup s = prepare(c);
    put_through_client(c, s.writer, s.block);
    // One replica of the key dies just before the leave: the lists the leaver's lookups read
    // still name it for a stabilization or two.
    c.crash(s.replicas[1]);
    Status left = c.await<Status>([&](auto cb) { c.node(s.writer).leave(cb); },
                                  fail(Errc::timeout, "leave did not finish"), 60000);
    INFO("leave: " << (left ? std::string("ok") : left.error().message()));
    CHECK(left.ok());
    c.crash(s.writer);
    auto now = c.true_successors(s.block.id, 3);
    for (size_t r : now) {
      INFO("replica " << c.peer(r).addr);
      CHECK(c.node(r).storage().contains(KeyKind::block, s.block.id));
    }
  }
}

// A leaving writer is no replica of its own writes any more, so a key whose replica set named
// it needs the next node along. A lookup answers with just `replicas` nodes when the answering
// node's successor list ends there (here every list is that short): skipping the leaver left
// two, never a full count, and the leave failed. Found by the e2e flake loop (issue 11).
TEST_CASE("sim: a leaving writer completes writes whose replica set named it") {
  uint64_t seed = seed_or(97);
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    ChordConfig cfg = sim_config();
    cfg.successors = cfg.replicas;
    SimCluster c(seed + round, cfg);
    grow_ring(c);
    c.run_for(5000);
    size_t writer = c.random_live();
    TestBlock b;
    std::vector<size_t> replicas;
    do {
      b = random_block(c.rng());
      replicas = c.true_successors(b.id, 3);
    } while (replicas[1] != writer);
    // The third replica misses the first round: the write waits at quorum when the leave begins.
    bool blocking = true;
    drop_puts_to(c, c.peer(replicas[2]).addr, b.id, &blocking);
    REQUIRE(c.put_block(writer, b.id, b.data).ok());
    c.run_for(1500);
    blocking = false;
    Status left = c.await<Status>([&](auto cb) { c.node(writer).leave(cb); },
                                  fail(Errc::timeout, "leave did not finish"), 60000);
    INFO("leave: " << (left ? std::string("ok") : left.error().message()));
    CHECK(left.ok());
    c.crash(writer);
    check_replicas_hold(c, b.id);
  }
}

// The leaver's first successor dies just before the leave: every list the leaver has still
// names it, so the handoff meant for it fails. Before, the fallback was that same successor, and
// the leave failed with "1 handoffs incomplete"; now the next live successor takes the keys, so
// they are at 3 copies on the nodes responsible once the leaver is gone. Found by the e2e flake
// loop (issue 11: three mounts unmounting one after the other).
TEST_CASE("sim: a leave whose successor just died hands its keys to the next one") {
  uint64_t seed = seed_or(98);
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    SimCluster c(seed + round);
    std::string why;
    REQUIRE(c.grow(12, 100));
    REQUIRE(settle(c, 60000, &why) >= 0);
    KeyBook book;
    REQUIRE(book.fill(c, 200, 0) == 0);
    REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);
    c.run_for(3000);
    size_t leaver = c.random_live();
    std::vector<Id256> held;
    for (auto& [id, data] : book.blocks())
      if (c.node(leaver).storage().contains(KeyKind::block, id)) held.push_back(id);
    auto order = c.ring_order();
    size_t at = std::find(order.begin(), order.end(), leaver) - order.begin();
    size_t successor = order[(at + 1) % order.size()];
    c.crash(successor);
    Status left = c.await<Status>([&](auto cb) { c.node(leaver).leave(cb); },
                                  fail(Errc::timeout, "leave did not finish"), 60000);
    INFO("leave: " << (left ? std::string("ok") : left.error().message()));
    CHECK(left.ok());
    c.crash(leaver);
    c.run_for(100);  // before any repair
    size_t short_keys = 0;
    for (auto& id : held) {
      size_t copies = 0;
      for (size_t r : c.true_successors(id, 3))
        copies += c.node(r).storage().contains(KeyKind::block, id);
      short_keys += copies < 3;
    }
    INFO(held.size() << " keys the leaver held");
    CHECK(short_keys == 0);
  }
}

// A replica of the leaver's write leaves while the leaver is leaving. Its Leaving message goes
// to its own neighbours, not to the writer, so the writer learns of it only by stabilizing.
// Before, a leaving node stopped stabilizing: every retry of the write named the gone replica,
// and the leave timed out with "1 keys below their replica count". Found by the e2e flake loop
// (issue 11: three computers unmounting one after the other).
TEST_CASE("sim: a leaving writer learns of a replica that left meanwhile") {
  uint64_t seed = seed_or(99);
  for (uint64_t round = 0; round < 3; ++round) {
    INFO("seed " << seed + round << " (set PEERSTORE_SIM_SEED to replay round 0)");
    SimCluster c(seed + round);
    grow_ring(c);
    c.run_for(5000);
    size_t writer = c.random_live();
    auto order = c.ring_order();
    size_t at = std::find(order.begin(), order.end(), writer) - order.begin();
    size_t second = order[(at + 2) % order.size()];
    // A block right after the writer: the writer answers its lookups from its own list.
    TestBlock b;
    do b = random_block(c.rng());
    while (c.true_successors(b.id, 1)[0] != order[(at + 1) % order.size()]);
    bool blocking = true;
    drop_puts_to(c, c.peer(second).addr, b.id, &blocking);
    REQUIRE(c.put_block(writer, b.id, b.data).ok());
    Status left = fail(Errc::timeout, "leave did not finish");
    bool finished = false;
    c.node(writer).leave([&](Status st) {
      left = st;
      finished = true;
    });
    REQUIRE(c.leave(second).ok());
    for (int t = 0; t < 60000 && !finished; t += 10) c.run_for(10);
    INFO("leave: " << (left ? std::string("ok") : left.error().message()));
    CHECK(left.ok());
    c.crash(writer);
    check_replicas_hold(c, b.id);
  }
}

TEST_CASE("sim: a replica set cut short by churn is not a full count") {
  uint64_t seed = seed_or(95);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  std::string why;
  REQUIRE(c.grow(8, 100));
  REQUIRE(settle(c, 60000, &why) >= 0);
  auto b = random_block(c.rng());
  auto r = c.true_successors(b.id, 3);
  std::vector<NodeRef> full_set = {c.node(r[0]).self(), c.node(r[1]).self(), c.node(r[2]).self()};
  // A writer whose lookup first answered with two nodes only (a successor list cut at its first
  // unproven entry), and the whole set on the next lookup.
  int ep = c.net().add_endpoint("writer");
  SimTransport transport(c.net(), ep);
  SimClock clock(c.net(), ep);
  Rpc rpc(transport, clock, NodeRef{Id256{}, "writer"});
  ChordConfig cfg = c.config();
  int finds = 0;
  Replicator rep(
      rpc, clock, cfg,
      [&](const Id256&, std::function<void(Result<std::vector<NodeRef>>)> done) {
        ++finds;
        done(full_set);
      },
      [] { return size_t(3); });
  Status result = fail(Errc::timeout, "no answer");
  rep.write(b.id, msg::PutBlock{b.id, b.data}, {full_set[0], full_set[1]},
            [&](Status st) { result = st; });
  c.run_for(3000);
  CHECK(result.ok());  // the quorum of the two it had
  CHECK(finds >= 1);   // two copies were not taken for the full count
  CHECK(c.node(r[2]).storage().contains(KeyKind::block, b.id));
  CHECK(rep.stats().full == 1);
  CHECK(rep.pending() == 0);
}

}  // namespace
}  // namespace peerstore::sim
