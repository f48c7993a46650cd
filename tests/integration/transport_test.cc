// TcpTransport on loopback: 1000 messages each way (up to the largest message) arrive intact
// and in order, from the sender's listen address, even when both sides dial at once; one
// connection per pair, reused for answers; a client that does not listen is answered on its
// own connection; dead, unparsable and unknown-client addresses drop (counted); empty and
// oversized messages are refused; max_connections, max_queued_bytes and the idle timeout hold;
// bad and busy listen addresses fail clearly; IPv6 and host names work; close(done) closes all.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <random>

#include "dht/loop_thread.h"
#include "dht/message.h"
#include "dht/rpc.h"
#include "dht/tcp_transport.h"
#include "dht/uv_clock.h"
#include "raw_socket.h"
#include "test_credentials.h"
#include "transport_peer.h"

namespace peerstore {
namespace {

using test::eventually;
using test::TransportPeer;

TcpTransportOptions listening(std::string addr = "127.0.0.1:0") {
  TcpTransportOptions o;
  o.listen = std::move(addr);
  o.credentials = test::test_credentials();
  return o;
}

Bytes text(std::string_view s) {
  return to_bytes(s);
}

// 1000 messages of 1 B to the largest message, mostly small, a few large, one of 1 MiB.
std::vector<Bytes> make_messages(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Bytes> out;
  for (size_t i = 0; i < 1000; ++i) {
    size_t size = i == 500      ? size_t(1) << 20
                  : i == 501    ? kMaxMessageSize
                  : i == 502    ? 1
                  : i % 97 == 0 ? 100000 + rng() % 100000
                                : 1 + rng() % 2000;
    Bytes m(size);
    for (auto& x : m) x = uint8_t(rng());
    out.push_back(std::move(m));
  }
  return out;
}

// A port nothing listens on (free when this returns; nobody else binds loopback ports here).
uint16_t dead_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  ::close(fd);
  return ntohs(sa.sin_port);
}

// A listening POSIX socket that completes TCP handshakes (in its backlog) and does nothing
// else until the test accepts.
struct RawListener {
  int fd;
  uint16_t port;
  RawListener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
    REQUIRE(::listen(fd, 8) == 0);
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
  }
  ~RawListener() { ::close(fd); }
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

TEST_CASE("tcp transport: 1000 messages each way, intact, in order, from the sender") {
  auto a = TransportPeer::start(listening());
  auto b = TransportPeer::start(listening());
  auto to_b = make_messages(1), to_a = make_messages(2);
  // Both sides start at once, so both may dial: two connections are fine, lost or reordered
  // messages are not.
  for (size_t i = 0; i < 1000; ++i) {
    a->send(b->address(), to_b[i]);
    b->send(a->address(), to_a[i]);
  }
  REQUIRE(eventually([&] { return a->inbox_size() == 1000 && b->inbox_size() == 1000; }, 60000));
  auto at_b = b->inbox(), at_a = a->inbox();
  for (size_t i = 0; i < 1000; ++i) {
    INFO("message " << i);
    CHECK(at_b[i].from == a->address());
    CHECK(at_a[i].from == b->address());
    CHECK(at_b[i].message == to_b[i]);
    CHECK(at_a[i].message == to_a[i]);
  }
  auto sa = a->stats(), sb = b->stats();
  CHECK(sa.frames_out == 1000);
  CHECK(sa.frames_in == 1000);
  CHECK(sa.dropped_sends == 0);
  CHECK(sb.dropped_sends == 0);
  CHECK(sa.closed_bad_input + sb.closed_bad_input == 0);
  CHECK(a->connections() <= 2);
}

TEST_CASE("tcp transport: one connection per pair, reused for the answers") {
  auto echo = [](TcpTransport& t, const std::string& from, ByteView m) {
    t.send(from, Bytes(m.begin(), m.end()));
  };
  auto a = TransportPeer::start(listening());
  auto b = TransportPeer::start(listening(), echo);
  for (int i = 0; i < 200; ++i) a->send(b->address(), text("ping " + std::to_string(i)));
  REQUIRE(eventually([&] { return a->inbox_size() == 200; }));
  auto got = a->inbox();
  for (int i = 0; i < 200; ++i) {
    CHECK(got[size_t(i)].from == b->address());
    CHECK(got[size_t(i)].message == text("ping " + std::to_string(i)));
  }
  CHECK(a->connections() == 1);
  CHECK(b->connections() == 1);
  auto sa = a->stats(), sb = b->stats();
  CHECK(sa.dialed == 1);
  CHECK(sb.dialed == 0);  // b answered on a's connection
  CHECK(sb.accepted == 1);
  CHECK(sb.frames_out == 200);
}

TEST_CASE("tcp transport: a client that does not listen is answered on its connection") {
  auto server =
      TransportPeer::start(listening(), [](TcpTransport& t, const std::string& from, ByteView m) {
        Bytes answer(m.begin(), m.end());
        answer.push_back('!');
        t.send(from, std::move(answer));
      });
  auto c1 = TransportPeer::start({});
  auto c2 = TransportPeer::start({});
  CHECK(c1->address().empty());
  for (int i = 0; i < 10; ++i) c1->send(server->address(), text("q" + std::to_string(i)));
  REQUIRE(eventually([&] { return c1->inbox_size() == 10; }));
  c2->send(server->address(), text("other"));
  REQUIRE(eventually([&] { return c2->inbox_size() == 1; }));

  auto got = c1->inbox();
  for (int i = 0; i < 10; ++i) {
    CHECK(got[size_t(i)].from == server->address());
    CHECK(got[size_t(i)].message == text("q" + std::to_string(i) + "!"));
  }
  auto at_server = server->inbox();
  REQUIRE(at_server.size() == 11);
  CHECK(at_server.front().from == "client:1");
  CHECK(at_server.back().from == "client:2");
  CHECK(server->stats().dialed == 0);

  // A client name is only ever answered on its connection, never dialed.
  server->send("client:99", text("nobody"));
  REQUIRE(eventually([&] { return server->stats().dropped_sends == 1; }));
  CHECK(server->stats().dialed == 0);
}

TEST_CASE("tcp transport: unreachable and malformed addresses drop their messages") {
  auto a = TransportPeer::start(listening());
  std::string dead = "127.0.0.1:" + std::to_string(dead_port());
  for (int i = 0; i < 3; ++i) a->send(dead, text("lost"));
  REQUIRE(eventually([&] { return a->stats().dropped_sends == 3; }));
  CHECK(a->stats().dial_failures == 1);
  a->send("no port here", text("lost"));
  a->send("127.0.0.1:0", text("lost"));
  REQUIRE(eventually([&] { return a->stats().dropped_sends == 5; }));
  CHECK(a->connections() == 0);

  // Still serving.
  auto b = TransportPeer::start(listening());
  a->send(b->address(), text("hello"));
  REQUIRE(eventually([&] { return b->inbox_size() == 1; }));
}

TEST_CASE("tcp transport: empty and oversized messages are refused, not sent") {
  auto a = TransportPeer::start(listening());
  auto b = TransportPeer::start(listening());
  a->send(b->address(), Bytes{});
  a->send(b->address(), Bytes(kMaxMessageSize + 1, 1));
  a->send(b->address(), text("fine"));
  REQUIRE(eventually([&] { return b->inbox_size() == 1; }));
  CHECK(b->inbox()[0].message == text("fine"));
  CHECK(a->stats().dropped_sends == 2);
  CHECK(b->stats().closed_bad_input == 0);
}

TEST_CASE("tcp transport: max_connections") {
  auto opt = listening();
  opt.max_connections = 2;
  auto server = TransportPeer::start(opt);
  auto c1 = TransportPeer::start({}), c2 = TransportPeer::start({}), c3 = TransportPeer::start({});
  c1->send(server->address(), text("1"));
  REQUIRE(eventually([&] { return server->inbox_size() == 1; }));
  c2->send(server->address(), text("2"));
  REQUIRE(eventually([&] { return server->inbox_size() == 2; }));
  c3->send(server->address(), text("3"));
  REQUIRE(eventually([&] { return server->stats().refused == 1; }));
  REQUIRE(eventually([&] { return c3->stats().dropped_sends == 1; }));
  CHECK(c3->stats().dial_failures == 1);
  CHECK(server->inbox_size() == 2);
  CHECK(server->connections() == 2);
}

TEST_CASE("tcp transport: max_queued_bytes bounds what waits for a peer") {
  SUBCASE("while dialing a peer that never says hello") {
    RawListener silent;
    TcpTransportOptions o;
    o.max_queued_bytes = 1 << 20;
    o.hello_timeout_ms = 300;
    auto a = TransportPeer::start(o);
    for (int i = 0; i < 4; ++i) a->send(silent.address(), Bytes(400000, 7));
    // Two fit in the queue; the others are dropped at once, and the two when the hello times out.
    REQUIRE(eventually([&] { return a->stats().dropped_sends == 4; }));
    auto s = a->stats();
    CHECK(s.closed_timeout == 1);
    CHECK(s.dial_failures == 1);
  }
  SUBCASE("on an open connection to a peer that stops reading") {
    RawListener stalled;
    TcpTransportOptions o;
    o.max_queued_bytes = 4 << 20;
    auto a = TransportPeer::start(o);
    a->send(stalled.address(), text("first"));
    int fd = ::accept(stalled.fd, nullptr, nullptr);
    REQUIRE(fd >= 0);
    auto shook = test::raw_handshake(fd, test::test_credentials(), false, stalled.address());
    REQUIRE(shook.ok());
    REQUIRE(eventually([&] { return a->stats().frames_out == 1; }));
    // All at once on the loop, so no write completes in between: three frames of 1 MiB fit.
    a->loop().call([&] {
      for (int i = 0; i < 30; ++i) a->transport().send(stalled.address(), Bytes(1 << 20, 1));
    });
    auto s = a->stats();
    CHECK(s.dropped_sends == 27);
    CHECK(s.frames_out == 4);
    ::close(fd);
  }
}

TEST_CASE("tcp transport: idle connections are closed, and the next send dials again") {
  auto opt = listening();
  opt.idle_timeout_ms = 300;
  auto a = TransportPeer::start(opt);
  auto b = TransportPeer::start(listening());
  a->send(b->address(), text("1"));
  REQUIRE(eventually([&] { return b->inbox_size() == 1; }));
  REQUIRE(eventually([&] { return a->connections() == 0 && b->connections() == 0; }, 3000));
  CHECK(a->stats().closed_idle == 1);
  a->send(b->address(), text("2"));
  REQUIRE(eventually([&] { return b->inbox_size() == 2; }));
  CHECK(a->stats().dialed == 2);
}

TEST_CASE("tcp transport: listen addresses") {
  auto loop = LoopThread::start("test-listen");
  REQUIRE(loop.ok());
  auto& t = **loop;
  // Transports live and die on the loop; only results come back to be checked here.
  auto outcome = [&](std::string listen_on) {
    return t.call([&]() -> Status {
      PS_ASSIGN(auto transport, TcpTransport::start(t.loop(), listening(listen_on)));
      return {};
    });
  };
  auto first = TransportPeer::start(listening());
  Status again = outcome(first->address());
  REQUIRE_FALSE(again.ok());
  CHECK(again.code() == Errc::busy);
  CHECK(again.error().context ==
        "cannot listen on " + first->address() + ": address already in use");

  Status bad = outcome("3000");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.code() == Errc::invalid);
  CHECK(bad.error().context.starts_with("cannot listen on 3000: "));

  CHECK(outcome("").ok());
  CHECK(TransportPeer::start({})->address().empty());
}

TEST_CASE("tcp transport: IPv6 and host names") {
  auto b = TransportPeer::start(listening());
  auto a = TransportPeer::start({});
  // Resolved off the loop; if it yields ::1 first, 127.0.0.1 is tried next.
  a->send("localhost:" + std::to_string(b->port()), text("by name"));
  REQUIRE(eventually([&] { return b->inbox_size() == 1; }));

  auto v6 = LoopThread::start("test-v6");
  REQUIRE(v6.ok());
  bool has_v6 =
      (*v6)->call([&] { return TcpTransport::start((*v6)->loop(), listening("[::1]:0")).ok(); });
  if (!has_v6) {
    MESSAGE("no IPv6 loopback here; skipping the IPv6 part");
    return;
  }
  auto c = TransportPeer::start(listening("[::1]:0"));
  CHECK(c->address().starts_with("[::1]:"));
  a->send(c->address(), text("over v6"));
  REQUIRE(eventually([&] { return c->inbox_size() == 1; }));
  c->send(b->address(), text("v6 to v4"));
  REQUIRE(eventually([&] { return b->inbox_size() == 2; }));
  CHECK(b->inbox()[1].from == c->address());
}

TEST_CASE("tcp transport: close(done) closes everything; sends after it are dropped") {
  auto a = TransportPeer::start(listening());
  auto b = TransportPeer::start(listening());
  a->send(b->address(), text("x"));
  b->send(a->address(), text("y"));
  REQUIRE(eventually([&] { return a->inbox_size() == 1 && b->inbox_size() == 1; }));
  std::atomic<bool> done{false};
  a->loop().call([&] { a->transport().close([&] { done = true; }); });
  REQUIRE(eventually([&] { return done.load(); }));
  CHECK(a->connections() == 0);
  REQUIRE(eventually([&] { return b->connections() == 0; }));
  a->send(b->address(), text("after"));
  REQUIRE(eventually([&] { return a->stats().dropped_sends == 1; }));
  CHECK(b->inbox_size() == 1);
}

}  // namespace
}  // namespace peerstore

namespace peerstore {
namespace {

// A crashed node whose host is up refuses connections: calls to it must fail at once, not at
// their timeout, or every repair after a crash waits seconds per call.
TEST_CASE("rpc over tcp: a call to an address where nothing listens fails at once") {
  auto started = LoopThread::start("rpc-test");
  REQUIRE(started.ok());
  auto loop = std::move(*started);
  std::unique_ptr<UvClock> clock;
  std::unique_ptr<TcpTransport> transport;
  std::unique_ptr<Rpc> rpc;
  std::promise<std::pair<Errc, int64_t>> done;
  std::string dead = "127.0.0.1:" + std::to_string(dead_port());
  loop->call([&] {
    clock = std::make_unique<UvClock>(loop->loop());
    transport = std::move(*TcpTransport::start(loop->loop(), listening()));
    rpc = std::make_unique<Rpc>(*transport, *clock, NodeRef{Id256{}, transport->address()});
    int64_t t0 = clock->now_ms();
    rpc->call(
        dead, msg::Ping{}, 10000,
        [&, t0](Result<Message> r) {
          done.set_value({r.code(), clock->now_ms() - t0});
        },
        3);
  });
  auto f = done.get_future();
  REQUIRE(f.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  auto [code, ms] = f.get();
  CHECK(code == Errc::unavailable);
  CHECK(ms < 2000);
  loop->call([&] { CHECK(rpc->stats().unreachable == 1); });
  loop->stop([&] {
    rpc.reset();
    transport->close([] {});
    clock.reset();
  });
}

}  // namespace
}  // namespace peerstore
