// Replicated storage on the simulated ring: quorum writes land on each key's successor and the
// next two nodes; repair brings every key to 3 copies; joining nodes pull the keys they now own;
// leaving nodes hand theirs over first, and finish only once the writes they accepted are on
// their disk; a replica that returns a block whose hash is wrong is ignored and the block is
// read from another; nodes refuse blocks that do not hash to their id and heads that do not
// verify; head sets keep the heads no other head dominates.
#include <doctest/doctest.h>

#include "scenario.h"
#include "support/sim_clock.h"
#include "support/sim_transport.h"

namespace peerstore::sim {
namespace {

TEST_CASE("sim: replication, repair, join pull and leave handoff") {
  uint64_t seed = seed_or(64);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  std::string violation, why;
  REQUIRE(c.grow(64, 100, [&] {
    if (violation.empty()) violation = RingChecker::safety(c);
  }));
  REQUIRE(violation == "");
  REQUIRE(settle(c, 120000, &why) >= 0);

  KeyBook book;
  REQUIRE(book.fill(c, 600, 20) == 0);
  int64_t t = replicate(c, book, 3, 60000, &why);
  INFO(why);
  REQUIRE(t >= 0);
  CHECK(book.read_all(c) == "");

  // Join pull: new nodes take over part of their successors' ranges.
  for (int k = 0; k < 16; ++k) {
    size_t i = c.add_node();
    REQUIRE(c.join(i).ok());
    c.run_for(500);
    REQUIRE(RingChecker::safety(c) == "");
  }
  REQUIRE(settle(c, 120000, &why) >= 0);
  t = replicate(c, book, 3, 60000, &why);
  REQUIRE(t >= 0);
  uint64_t pulled = 0;
  for (size_t i = 64; i < c.size(); ++i) pulled += c.node(i).stats().keys_pulled;
  MESSAGE("16 joins: new nodes pulled " << pulled << " keys; all keys at 3 copies " << t / 1000
                                        << " s after the ring settled");
  CHECK(pulled > 0);

  // Leave handoff: right after a node leaves, its keys are already on the new replica sets.
  for (int k = 0; k < 8; ++k) {
    size_t i = c.random_live();
    auto left = c.leave(i);
    INFO("leave of " << c.peer(i).addr << ": "
                     << (left ? std::string("ok") : left.error().message()));
    REQUIRE(left.ok());
    c.run_for(200);
    auto r = book.check(c, 3);
    INFO("after leave " << k << ": " << r.first_problem);
    CHECK(r.under == 0);
    REQUIRE(RingChecker::safety(c) == "");
    // Let the neighbours' predecessor lists catch up before the next leave.
    REQUIRE(settle(c, 30000, &why) >= 0);
    c.run_for(3000);
  }
  REQUIRE(settle(c, 60000, &why) >= 0);
  CHECK(book.read_all(c) == "");
}

TEST_CASE("sim: a leaving node acknowledges what it accepted first, and refuses later writes") {
  uint64_t seed = seed_or(12);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  REQUIRE(c.grow(8, 100));
  // One node with a disk much slower than its handoff.
  c.set_disk_delay(2000);
  size_t x = c.add_node();
  c.set_disk_delay(0);
  REQUIRE(c.join(x).ok());
  std::string why;
  REQUIRE(settle(c, 60000, &why) >= 0);
  c.run_for(5000);

  int ep = c.net().add_endpoint("client");
  SimTransport transport(c.net(), ep);
  SimClock clock(c.net(), ep);
  Rpc client(transport, clock, NodeRef{Id256{}, "client"});
  std::vector<std::string> events;
  auto record = [&](std::string what) {
    return [&events, what](Result<Message> r) {
      events.push_back(what + (r ? " ok" : std::string(" ") + errc_name(r.code())));
    };
  };
  auto early = random_block(c.rng()), late = random_block(c.rng());
  client.call(c.peer(x).addr, msg::PutBlock{early.id, early.data}, 10000, record("early"));
  for (int t = 0; t < 1000 && !c.node(x).storage().contains(KeyKind::block, early.id); ++t)
    c.run_for(1);
  REQUIRE(c.node(x).storage().contains(KeyKind::block, early.id));
  CHECK(events.empty());  // accepted, not on disk yet
  c.node(x).leave([&](Status st) { events.push_back(st ? "left" : st.error().message()); });
  client.call(c.peer(x).addr, msg::PutBlock{late.id, late.data}, 10000, record("late"));
  // The process exits as soon as the leave is done: the early ack must be on its way by then.
  int64_t deadline = c.net().now_ms() + 20000;
  while (std::find(events.begin(), events.end(), "left") == events.end() &&
         c.net().now_ms() < deadline)
    c.net().run_one();
  c.crash(x);
  c.run_for(200);
  std::string seen;
  for (auto& e : events) seen += e + "; ";
  INFO("events: " << seen);
  CHECK(events == std::vector<std::string>{"late unavailable", "left", "early ok"});
  // The handoff took the early block along.
  bool held = false;
  for (size_t i : c.live_nodes()) held |= c.node(i).storage().contains(KeyKind::block, early.id);
  CHECK(held);
}

TEST_CASE("sim: a replica returning a wrong block is ignored; bad blocks and heads are refused") {
  uint64_t seed = seed_or(16);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  REQUIRE(c.grow(16, 100));
  std::string why;
  REQUIRE(settle(c, 60000, &why) >= 0);

  auto b = random_block(c.rng());
  REQUIRE(c.put_block(0, b.id, b.data).ok());
  c.run_for(10000);
  auto replicas = c.true_successors(b.id, 3);
  std::string liar = c.peer(replicas[0]).addr;
  size_t tampered = 0;
  c.net().set_tamper([&](const std::string& from, const std::string&, Bytes& m) {
    if (from != liar) return true;
    auto d = Message::decode(m);
    if (d) {
      if (auto* blk = std::get_if<msg::Block>(&d->body); blk && blk->data) {
        (*blk->data)[0] ^= 0xff;
        m = d->encode();
        ++tampered;
      }
    }
    return true;
  });
  size_t reader = 0;
  while (std::find(replicas.begin(), replicas.end(), reader) != replicas.end()) ++reader;
  auto got = c.get_block(reader, b.id);
  REQUIRE(got.ok());
  CHECK(*got == b.data);
  CHECK(tampered >= 1);
  CHECK(c.node(reader).stats().bad_copies_read >= 1);
  c.net().set_tamper(nullptr);

  // Through the API: a block that does not hash to its id, a head that does not verify.
  auto other = random_block(c.rng());
  CHECK(c.put_block(1, other.id, b.data).code() == Errc::invalid);
  auto v = make_volume(77);
  Bytes head = make_head(v, {{device_id(1), 1}});
  Bytes forged = head;
  forged[forged.size() - 3] ^= 1;
  CHECK(c.put_heads(1, v.id(), {forged}).code() == Errc::invalid);

  // Straight to a node, bypassing the client checks: refused as corrupt.
  int ep = c.net().add_endpoint("evil");
  SimTransport et(c.net(), ep);
  SimClock ec(c.net(), ep);
  Rpc evil(et, ec, NodeRef{Id256{}, "evil"});
  std::vector<Errc> answers;
  auto target = c.peer(c.true_successors(other.id, 1)[0]).addr;
  auto record = [&](Result<Message> r) { answers.push_back(r.code()); };
  evil.call(target, msg::PutBlock{other.id, b.data}, 1000, record);
  evil.call(target, msg::PutHeads{v.id(), {forged}}, 1000, record);
  evil.call(target, msg::PutHeads{v.id(), {Bytes{1, 2, 3}}}, 1000, record);
  evil.call(target, msg::PutHeads{make_volume(78).id(), {head}}, 1000, record);  // wrong volume
  c.run_for(2000);
  CHECK(answers == std::vector<Errc>{Errc::corrupt, Errc::corrupt, Errc::corrupt, Errc::corrupt});
  for (size_t i = 0; i < c.size(); ++i) {
    CHECK_FALSE(c.node(i).storage().contains(KeyKind::block, other.id));
    CHECK_FALSE(c.node(i).storage().contains(KeyKind::heads, HeadSet::key_for(v.id())));
  }

  // Head sets: concurrent heads are both kept, a head that dominates both replaces them.
  auto d1 = device_id(1), d2 = device_id(2);
  REQUIRE(c.put_heads(2, v.id(), {head}).ok());
  REQUIRE(c.put_heads(3, v.id(), {make_head(v, {{d2, 1}})}).ok());
  auto hs = c.get_heads(4, v.id());
  REQUIRE(hs.ok());
  CHECK(hs->size() == 2);
  REQUIRE(c.put_heads(5, v.id(), {make_head(v, {{d1, 1}, {d2, 1}})}).ok());
  c.run_for(10000);
  hs = c.get_heads(6, v.id());
  REQUIRE(hs.ok());
  CHECK(hs->size() == 1);
  for (size_t i : c.true_successors(HeadSet::key_for(v.id()), 3)) {
    auto stored = c.node(i).storage().entry(KeyKind::heads, HeadSet::key_for(v.id()));
    REQUIRE(stored);
  }
}

}  // namespace
}  // namespace peerstore::sim

namespace peerstore::sim {
namespace {

// A mount's bounded cache gives up local copies through its node, which deletes only those it
// does not keep as a replica: copies left behind by joins go, every key stays at 3 copies.
TEST_CASE("sim: released copies outside a node's replica range are deleted, the rest stay") {
  uint64_t seed = seed_or(31);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  SimCluster c(seed);
  std::string why;
  REQUIRE(c.grow(16, 100));
  REQUIRE(settle(c, 120000, &why) >= 0);
  KeyBook book;
  REQUIRE(book.fill(c, 300, 0) == 0);
  REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);
  // Joins move ranges; the old replicas keep their copies (nodes never delete on their own).
  for (int k = 0; k < 8; ++k) {
    REQUIRE(c.join(c.add_node()).ok());
    c.run_for(500);
  }
  REQUIRE(settle(c, 120000, &why) >= 0);
  REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);

  std::vector<Id256> all;
  for (auto& [id, data] : book.blocks()) all.push_back(id);
  size_t dropped = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    std::optional<std::vector<Id256>> got;
    c.node(i).release_blocks(all, [&](std::vector<Id256> ids) { got = std::move(ids); });
    for (int t = 0; t < 100 && !got; ++t) c.run_for(10);
    REQUIRE(got);
    dropped += got->size();
    for (auto& id : *got) CHECK_FALSE(c.node(i).storage().contains(KeyKind::block, id));
  }
  MESSAGE("released " << dropped << " copies outside their nodes' replica ranges");
  CHECK(dropped > 0);
  auto r = book.check(c, 3);
  INFO(r.first_problem);
  CHECK(r.lost == 0);
  CHECK(r.under == 0);
  CHECK(book.read_all(c) == "");
}

}  // namespace
}  // namespace peerstore::sim

namespace peerstore::sim {
namespace {

// In a ring of a few nodes the successor list wraps around to the leaving node's predecessors:
// the new third replica of its own keys is its farthest predecessor. A leave must hand them there
// too, or they sit at 2 copies until repair (and a crash in between loses them).
// Seed 10 (a round here) failed before the leave's deadline counted from the last key moved:
// a slow handoff that kept moving keys was cut at a fixed 3 transfer timeouts.
TEST_CASE("sim: a leave in a small ring leaves every key at 3 copies") {
  uint64_t seed = seed_or(5);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  for (int round = 0; round < 6; ++round) {
    SimCluster c(seed + round);
    std::string why;
    REQUIRE(c.grow(6, 100));
    REQUIRE(settle(c, 60000, &why) >= 0);
    KeyBook book;
    REQUIRE(book.fill(c, 300, 4) == 0);
    REQUIRE(replicate(c, book, 3, 60000, &why) >= 0);
    c.run_for(3000);  // predecessor lists complete
    size_t i = c.random_live();
    Status left = c.leave(i);
    INFO("round " << round << ", leave of " << c.peer(i).addr << ": "
                  << (left ? std::string("ok") : left.error().message()));
    REQUIRE(left.ok());
    c.run_for(200);  // well before the next repair
    auto r = book.check(c, 3);
    INFO("round " << round << ", leave of " << c.peer(i).addr << ": " << r.first_problem);
    CHECK(r.under == 0);
    CHECK(r.lost == 0);
  }
}

}  // namespace
}  // namespace peerstore::sim
