// The Transport conformance suite (src/dht/transport.h), run against every implementation:
// SimTransport (on a SimNetwork the test thread runs) and TcpTransport (on loopback, every
// endpoint on one LoopThread). Messages arrive intact, never inside send(), from the sender's
// listen address (which answers reach) and with the id it proved (where the transport proves
// one); one pair's messages arrive in the order sent; a message to an address where nobody is,
// or to a transport that is gone, is dropped (and reported where the transport can tell); the
// other endpoints keep working. The rigs' inboxes belong to the loop thread.
#include <doctest/doctest.h>

#include <chrono>
#include <deque>
#include <memory>
#include <random>
#include <thread>

#include "dht/loop_thread.h"
#include "dht/node_ref.h"
#include "dht/tcp_transport.h"
#include "support/free_port.h"
#include "support/sim_transport.h"
#include "test_credentials.h"
#include "transport_peer.h"

namespace peerstore {
namespace {

struct Got {
  std::string from;
  std::optional<Id256> proven_id;
  Bytes message;
};

// What both rigs share: each endpoint's inbox and unreachable reports, a flag that catches a
// delivery inside send(), and a hook to answer messages. Loop thread only.
struct Endpoints {
  std::deque<std::vector<Got>> inbox;
  std::deque<std::vector<std::string>> unreachable;
  bool in_send = false;
  int delivered_inside_send = 0;
  std::function<void(Transport& at, const std::string& from, ByteView m)> on_message;

  void attach(Transport& t) {
    size_t i = inbox.size();
    inbox.emplace_back();
    unreachable.emplace_back();
    t.set_receiver(
        [this, i, &t](const std::string& from, const std::optional<Id256>& proven_id, ByteView m) {
          if (in_send) ++delivered_inside_send;
          inbox[i].push_back({from, proven_id, Bytes(m.begin(), m.end())});
          if (on_message) on_message(t, from, m);
        });
    t.set_unreachable_handler(
        [this, i](const std::string& to, const Error&) { unreachable[i].push_back(to); });
  }
  void send(Transport& t, const std::string& to, Bytes m) {
    in_send = true;
    t.send(to, std::move(m));
    in_send = false;
  }
};

// SimTransports on one SimNetwork (default latency 5-50 ms); the test thread is the loop.
struct SimRig : Endpoints {
  static constexpr bool kReportsUnreachable = false;
  SimNetwork net{7};
  std::vector<std::unique_ptr<SimTransport>> ts;

  size_t add() {
    int ep = net.add_endpoint("sim-node-" + std::to_string(ts.size()));
    ts.push_back(std::make_unique<SimTransport>(net, ep));
    attach(*ts.back());
    return ts.size() - 1;
  }
  Transport& t(size_t i) { return *ts[i]; }
  std::optional<Id256> proven_id(size_t) const { return std::nullopt; }
  std::string nobody() const { return "sim-nobody"; }
  void close(size_t i) { ts[i].reset(); }
  template <class F>
  auto on_loop(F f) {
    return f();
  }
  bool wait_until(const std::function<bool()>& pred) {
    const int64_t deadline = net.now_ms() + 10000;
    while (!pred()) {
      if (net.now_ms() > deadline || !net.run_one()) return pred();
    }
    return true;
  }
  void let_pass(int64_t ms) { net.run_for(ms); }
};

// TcpTransports on 127.0.0.1, all on one loop thread, each with its own device key.
struct TcpRig : Endpoints {
  static constexpr bool kReportsUnreachable = true;
  std::unique_ptr<LoopThread> loop;
  std::vector<std::unique_ptr<TcpTransport>> ts;  // loop thread only
  std::vector<Id256> ids;

  TcpRig() {
    auto l = LoopThread::start("test-transport");
    REQUIRE(l.ok());
    loop = std::move(*l);
  }
  ~TcpRig() {
    loop->stop([&] { ts.clear(); });
  }
  size_t add() {
    TcpTransportOptions o;
    o.listen = "127.0.0.1:0";
    o.credentials = test::test_credentials();
    ids.push_back(node_id_for(o.credentials->device.public_key()));
    return loop->call([&] {
      auto t = TcpTransport::start(loop->loop(), o);
      REQUIRE(t.ok());
      ts.push_back(std::move(*t));
      attach(*ts.back());
      return ts.size() - 1;
    });
  }
  Transport& t(size_t i) { return *ts[i]; }
  std::optional<Id256> proven_id(size_t i) const { return ids[i]; }
  std::string nobody() const { return "127.0.0.1:" + std::to_string(test::free_tcp_port()); }
  void close(size_t i) {
    bool closed = false;  // loop thread only
    loop->call([&] { ts[i]->close([&] { closed = true; }); });
    REQUIRE(wait_until([&] { return closed; }));
    loop->call([&] { ts[i].reset(); });
  }
  template <class F>
  auto on_loop(F f) {
    return loop->call(std::move(f));
  }
  bool wait_until(const std::function<bool()>& pred) {
    return test::eventually([&] { return loop->call(pred); }, 10000);
  }
  void let_pass(int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    loop->call([] {});
  }
};

#define TRANSPORTS SimRig, TcpRig

Bytes message(size_t i, size_t size) {
  std::mt19937_64 rng(i);
  Bytes m(size);
  for (auto& x : m) x = uint8_t(rng());
  return m;
}

Bytes numbered(size_t i) {
  return to_bytes("message " + std::to_string(i));
}

TEST_CASE_TEMPLATE("transport: messages arrive intact, later, from the sender", Rig, TRANSPORTS) {
  Rig r;
  size_t a = r.add(), b = r.add(), c = r.add();
  std::string at[3];
  r.on_loop([&] {
    for (size_t i : {a, b, c}) at[i] = r.t(i).address();
  });
  CHECK_FALSE(at[a].empty());
  CHECK(at[a] != at[b]);
  CHECK(at[b] != at[c]);
  const size_t sizes[] = {1, 100, 4000, 65536, 300000};
  r.on_loop([&] {
    for (size_t k = 0; k < 5; ++k) {
      r.send(r.t(a), at[b], message(k, sizes[k]));
      r.send(r.t(c), at[b], message(100 + k, sizes[k]));
      r.send(r.t(b), at[a], message(200 + k, sizes[k]));
    }
  });
  REQUIRE(r.wait_until([&] { return r.inbox[b].size() == 10 && r.inbox[a].size() == 5; }));
  r.on_loop([&] {
    CHECK(r.delivered_inside_send == 0);
    CHECK(r.inbox[c].empty());
    size_t from_a = 0, from_c = 0;
    for (const Got& g : r.inbox[b]) {
      if (g.from == at[a]) {
        CHECK(g.proven_id == r.proven_id(a));
        CHECK(g.message == message(from_a, sizes[from_a]));
        ++from_a;
      } else {
        CHECK(g.from == at[c]);
        CHECK(g.proven_id == r.proven_id(c));
        CHECK(g.message == message(100 + from_c, sizes[from_c]));
        ++from_c;
      }
    }
    CHECK(from_a == 5);
    CHECK(from_c == 5);
    for (size_t k = 0; k < 5; ++k) {
      CHECK(r.inbox[a][k].from == at[b]);
      CHECK(r.inbox[a][k].proven_id == r.proven_id(b));
      CHECK(r.inbox[a][k].message == message(200 + k, sizes[k]));
    }
  });
}

TEST_CASE_TEMPLATE("transport: one pair's messages arrive in the order sent", Rig, TRANSPORTS) {
  Rig r;
  size_t a = r.add(), b = r.add(), c = r.add();
  const size_t n = 300;
  r.on_loop([&] {
    const std::string to_b = r.t(b).address(), to_c = r.t(c).address(), to_a = r.t(a).address();
    // Interleaved with traffic between other pairs, both ways at once.
    for (size_t i = 0; i < n; ++i) {
      r.send(r.t(a), to_b, numbered(i));
      r.send(r.t(b), to_a, numbered(i));
      r.send(r.t(a), to_c, numbered(i));
      r.send(r.t(c), to_b, numbered(1000 + i));
    }
  });
  REQUIRE(r.wait_until([&] {
    return r.inbox[b].size() == 2 * n && r.inbox[a].size() == n && r.inbox[c].size() == n;
  }));
  r.on_loop([&] {
    const std::string from_a = r.t(a).address();
    size_t next_a = 0, next_c = 1000;
    for (const Got& g : r.inbox[b]) {
      if (g.from == from_a) {
        CHECK(g.message == numbered(next_a++));
      } else {
        CHECK(g.message == numbered(next_c++));
      }
    }
    for (size_t i = 0; i < n; ++i) {
      CHECK(r.inbox[a][i].message == numbered(i));
      CHECK(r.inbox[c][i].message == numbered(i));
    }
  });
}

TEST_CASE_TEMPLATE("transport: a receiver answers the sender at `from`", Rig, TRANSPORTS) {
  Rig r;
  size_t a = r.add(), b = r.add();
  r.on_loop([&] {
    r.on_message = [&](Transport& at, const std::string& from, ByteView m) {
      if (&at != &r.t(b)) return;
      Bytes answer(m.begin(), m.end());
      answer.push_back('!');
      at.send(from, std::move(answer));
    };
    for (size_t i = 0; i < 50; ++i) r.send(r.t(a), r.t(b).address(), numbered(i));
  });
  REQUIRE(r.wait_until([&] { return r.inbox[a].size() == 50; }));
  r.on_loop([&] {
    for (size_t i = 0; i < 50; ++i) {
      Bytes expected = numbered(i);
      expected.push_back('!');
      CHECK(r.inbox[a][i].from == r.t(b).address());
      CHECK(r.inbox[a][i].message == expected);
    }
    CHECK(r.delivered_inside_send == 0);
  });
}

TEST_CASE_TEMPLATE("transport: a message to where nobody is drops, reported if it can tell", Rig,
                   TRANSPORTS) {
  Rig r;
  size_t a = r.add(), b = r.add();
  const std::string nobody = r.nobody();
  r.on_loop([&] { r.send(r.t(a), nobody, numbered(1)); });
  if constexpr (Rig::kReportsUnreachable) {
    REQUIRE(r.wait_until([&] { return !r.unreachable[a].empty(); }));
    CHECK(r.on_loop([&] { return r.unreachable[a]; }) == std::vector<std::string>{nobody});
  } else {
    r.let_pass(500);
    CHECK(r.on_loop([&] { return r.unreachable[a].size(); }) == 0);
  }
  // Nothing arrived anywhere, and the sender still reaches others.
  r.on_loop([&] { r.send(r.t(a), r.t(b).address(), numbered(2)); });
  REQUIRE(r.wait_until([&] { return r.inbox[b].size() == 1; }));
  r.on_loop([&] {
    CHECK(r.inbox[b][0].message == numbered(2));
    CHECK(r.inbox[a].empty());
    CHECK(r.unreachable[b].empty());
  });
}

TEST_CASE_TEMPLATE("transport: once a transport is gone, nothing reaches it; the rest work", Rig,
                   TRANSPORTS) {
  Rig r;
  size_t a = r.add(), b = r.add(), c = r.add();
  const std::string at_b = r.on_loop([&] { return r.t(b).address(); });
  const std::string at_c = r.on_loop([&] { return r.t(c).address(); });
  r.on_loop([&] { r.send(r.t(a), at_b, numbered(1)); });
  REQUIRE(r.wait_until([&] { return r.inbox[b].size() == 1; }));
  r.close(b);
  // Sends to it now drop; a transport that can tell says so (a send may first go out on the
  // connection that is closing, so keep sending until it does).
  size_t sent = 0;
  if constexpr (Rig::kReportsUnreachable) {
    CHECK(r.wait_until([&] {
      r.send(r.t(a), at_b, numbered(2 + sent++));
      return !r.unreachable[a].empty();
    }));
    CHECK(r.on_loop([&] { return r.unreachable[a].back(); }) == at_b);
  } else {
    r.on_loop([&] {
      for (; sent < 10; ++sent) r.send(r.t(a), at_b, numbered(2 + sent));
    });
  }
  r.let_pass(200);
  CHECK(r.on_loop([&] { return r.inbox[b].size(); }) == 1);
  // The others are unharmed, and b's peer still talks to them.
  r.on_loop([&] {
    r.send(r.t(a), at_c, numbered(100));
    r.send(r.t(c), r.t(a).address(), numbered(101));
  });
  REQUIRE(r.wait_until([&] { return r.inbox[c].size() == 1 && r.inbox[a].size() == 1; }));
  r.on_loop([&] {
    CHECK(r.inbox[c][0].message == numbered(100));
    CHECK(r.inbox[a][0].message == numbered(101));
  });
}

}  // namespace
}  // namespace peerstore
