// Rpc on the simulated network: responses match their requests, every call ends (answer,
// error or timeout at exactly its deadline, once), responses from anyone but the callee and
// late ones are ignored, undecodable bytes are dropped and counted, and calls to oneself loop
// back without the network.
#include "dht/rpc.h"

#include <doctest/doctest.h>

#include "sim_seed.h"
#include "support/sim_clock.h"
#include "support/sim_transport.h"

namespace peerstore {
namespace {

struct Pair {
  SimNetwork net{sim::seed_or(5)};
  int ea = net.add_endpoint("a"), eb = net.add_endpoint("b"), ec = net.add_endpoint("c");
  SimTransport ta{net, ea}, tb{net, eb}, tc{net, ec};
  SimClock ca{net, ea}, cb{net, eb}, cc{net, ec};
  Rpc a{ta, ca, NodeRef{Id256{}, "a"}};
  Rpc b{tb, cb, NodeRef{Id256{}, "b"}};
  Pair() { net.set_latency(10, 10); }
};

TEST_CASE("rpc: a call gets its response") {
  Pair p;
  p.b.set_handler([&](const std::string& from, Message m) {
    CHECK(from == "a");
    p.b.respond(from, m.request_id, msg::Found{true, {NodeRef{Id256{}, "z"}}});
  });
  int calls = 0;
  p.a.call("b", msg::Find{Id256{}}, 100, [&](Result<Message> r) {
    ++calls;
    REQUIRE(r.ok());
    CHECK(std::holds_alternative<msg::Found>(r->body));
    CHECK(p.net.now_ms() == 20);
  });
  p.net.run_for(1000);
  CHECK(calls == 1);
  CHECK(p.a.pending() == 0);
  CHECK(p.a.stats().responses == 1);
}

TEST_CASE("rpc: silence, a crashed peer and a partition end in a timeout at the deadline") {
  Pair p;
  p.b.set_handler([](const std::string&, Message) {});  // never answers
  std::vector<int64_t> at;
  auto expect_timeout = [&](Result<Message> r) {
    CHECK(r.code() == Errc::timeout);
    at.push_back(p.net.now_ms());
  };
  p.a.call("b", msg::Ping{}, 250, expect_timeout);
  p.a.call("nobody", msg::Ping{}, 300, expect_timeout);
  p.net.run_for(1000);
  p.net.set_group(p.eb, 1);
  p.b.set_handler(
      [&](const std::string& from, Message m) { p.b.respond(from, m.request_id, msg::Pong{}); });
  p.a.call("b", msg::Ping{}, 100, expect_timeout);
  p.net.run_for(1000);
  REQUIRE(at.size() == 3);
  CHECK(at[0] == 250);
  CHECK(at[1] == 300);
  CHECK(at[2] == 1100);
  CHECK(p.a.stats().timeouts == 3);
  CHECK(p.a.pending() == 0);
}

TEST_CASE("rpc: late, duplicate and third-party responses are ignored") {
  Pair p;
  p.net.set_latency(60, 60);
  uint64_t seen_id = 0;
  p.b.set_handler([&](const std::string& from, Message m) {
    seen_id = m.request_id;
    p.b.respond(from, m.request_id, msg::Pong{});  // arrives at 120 ms, after the timeout
  });
  int calls = 0;
  p.a.call("b", msg::Ping{}, 100, [&](Result<Message> r) {
    ++calls;
    CHECK(r.code() == Errc::timeout);
  });
  p.net.run_for(500);
  CHECK(calls == 1);
  CHECK(p.a.stats().stray == 1);
  // A response with the right id from someone we did not ask.
  Rpc c{p.tc, p.cc, NodeRef{Id256{}, "c"}};
  p.b.set_handler([](const std::string&, Message) {});
  p.a.call("b", msg::Ping{}, 1000, [&](Result<Message> r) {
    ++calls;
    CHECK(r.code() == Errc::timeout);
  });
  c.respond("a", seen_id + 1, msg::Pong{});
  p.net.run_for(2000);
  CHECK(calls == 2);
  CHECK(p.a.stats().stray == 2);
}

TEST_CASE("rpc: an error response becomes the call's error") {
  Pair p;
  p.b.set_handler([&](const std::string& from, Message m) {
    p.b.respond(from, m.request_id, msg::Error{Errc::corrupt, "block does not hash to its id"});
  });
  bool done = false;
  p.a.call("b", msg::PutBlock{Id256{}, Bytes{1}}, 100, [&](Result<Message> r) {
    done = true;
    CHECK(r.code() == Errc::corrupt);
    CHECK(r.error().context.find("does not hash") != std::string::npos);
  });
  p.net.run_for(500);
  CHECK(done);
}

TEST_CASE("rpc: undecodable bytes are dropped and counted") {
  Pair p;
  int requests = 0;
  p.b.set_handler([&](const std::string&, Message) { ++requests; });
  p.ta.send("b", Bytes{0x94, 0x02, 0x01});
  p.ta.send("b", Bytes{});
  p.ta.send("b", Bytes(100, 0xff));
  p.net.run_for(100);
  CHECK(requests == 0);
  CHECK(p.b.stats().corrupt == 3);
}

TEST_CASE("rpc: calls to oneself loop back, never synchronously") {
  Pair p;
  bool handled = false, answered = false;
  p.a.set_handler([&](const std::string& from, Message m) {
    handled = true;
    CHECK(from == "a");
    p.a.respond(from, m.request_id, msg::Pong{});
  });
  p.a.call("a", msg::Ping{}, 100, [&](Result<Message> r) {
    answered = true;
    CHECK(r.ok());
  });
  CHECK_FALSE(handled);
  p.net.run_for(1);
  CHECK(handled);
  CHECK(answered);
  CHECK(p.net.stats().sent == 0);
}

TEST_CASE("rpc: destroying an Rpc drops its pending calls without running them") {
  Pair p;
  bool ran = false;
  {
    Rpc d{p.tc, p.cc, NodeRef{Id256{}, "c"}};
    d.call("b", msg::Ping{}, 100, [&](Result<Message>) { ran = true; });
    d.defer([&] { ran = true; });
  }
  p.net.run_for(1000);
  CHECK_FALSE(ran);
}

TEST_CASE("rpc: traffic counts requests by type, bytes both ways and the time to each answer") {
  Pair p;
  p.b.set_handler([&](const std::string& from, Message m) {
    if (std::holds_alternative<msg::Ping>(m.body)) p.b.respond(from, m.request_id, msg::Pong{});
  });
  int answers = 0;
  for (int i = 0; i < 3; ++i)
    p.a.call("b", msg::Ping{}, 100, [&](Result<Message> r) { answers += r.ok(); });
  p.a.call("b", msg::GetStatus{}, 100, [](Result<Message>) {});  // never answered: a timeout
  p.net.run_for(1000);
  REQUIRE(answers == 3);

  RpcTraffic a = p.a.traffic(), b = p.b.traffic();
  size_t ping = Body(msg::Ping{}).index(), status = Body(msg::GetStatus{}).index();
  CHECK(std::string(message_type_name(ping)) == "ping");
  CHECK(message_type_name(kMessageTypes) == nullptr);
  CHECK(a.called[ping] == 3);
  CHECK(a.called[status] == 1);
  CHECK(b.served[ping] == 3);
  CHECK(b.served[status] == 1);
  CHECK(a.served[ping] == 0);
  CHECK(a.timeouts == 1);
  // What one sent, the other received; answers are counted on both sides too.
  CHECK(a.bytes_out > 0);
  CHECK(a.bytes_out == b.bytes_in);
  CHECK(b.bytes_out == a.bytes_in);
  // Each answer took the round trip, 20 ms: the 25 ms bucket, and a sum of 3 × 20 ms.
  CHECK(a.latency.count() == 3);
  CHECK(a.latency.sum_us == 60'000);
  size_t bucket = 0;
  while (LatencyHistogram::kBoundsUs[bucket] < 20'000) ++bucket;
  CHECK(a.latency.counts[bucket] == 3);
  CHECK(b.latency.count() == 0);
}

}  // namespace
}  // namespace peerstore
