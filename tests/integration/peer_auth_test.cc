// Peer authentication above the handshake, on loopback: a node of another network is refused
// at once, on both sides, with a line that says what to do; a message whose sender id is not
// the id its connection proved is dropped (Rpc::Stats::impostor), while the same message with
// the proven id is answered.
#include <doctest/doctest.h>

#include <future>

#include "dht/loop_thread.h"
#include "dht/message.h"
#include "dht/node_ref.h"
#include "dht/rpc.h"
#include "dht/tcp_transport.h"
#include "dht/uv_clock.h"
#include "test_credentials.h"
#include "transport_peer.h"

namespace peerstore {
namespace {

using test::eventually;

// An Rpc on a TcpTransport on its own loop thread, answering every Ping with a Pong.
class RpcNode {
 public:
  explicit RpcNode(PeerCredentialsPtr credentials) {
    auto started = LoopThread::start("rpc-node");
    REQUIRE(started.ok());
    loop_ = std::move(*started);
    Status st = loop_->call([&]() -> Status {
      clock_ = std::make_unique<UvClock>(loop_->loop());
      TcpTransportOptions o;
      o.listen = "127.0.0.1:0";
      o.credentials = credentials;
      PS_ASSIGN(transport_, TcpTransport::start(loop_->loop(), o));
      NodeRef self{node_id_for(credentials->device.public_key()), transport_->address()};
      rpc_ = std::make_unique<Rpc>(*transport_, *clock_, self);
      rpc_->set_handler([this](const std::string& from, Message m) {
        if (std::holds_alternative<msg::Ping>(m.body))
          rpc_->respond(from, m.request_id, msg::Pong{});
      });
      return {};
    });
    REQUIRE(st.ok());
  }
  ~RpcNode() {
    loop_->stop([&] {
      rpc_.reset();
      transport_->close([] {});
      clock_.reset();
    });
  }

  const std::string& address() const { return rpc_->self().addr; }
  const NodeRef& self() const { return rpc_->self(); }
  Rpc::Stats rpc_stats() {
    return loop_->call([&] { return rpc_->stats(); });
  }
  TcpTransport::Stats transport_stats() {
    return loop_->call([&] { return transport_->stats(); });
  }
  // The outcome of a Ping to `to`, and how long it took.
  std::pair<Result<Message>, int64_t> ping(const std::string& to) {
    auto done = std::make_shared<std::promise<std::pair<Result<Message>, int64_t>>>();
    auto f = done->get_future();
    loop_->post([&, done] {
      int64_t t0 = clock_->now_ms();
      rpc_->call(to, msg::Ping{}, 10000, [this, done, t0](Result<Message> r) {
        done->set_value({std::move(r), clock_->now_ms() - t0});
      });
    });
    REQUIRE(f.wait_for(std::chrono::seconds(15)) == std::future_status::ready);
    return f.get();
  }

 private:
  std::unique_ptr<LoopThread> loop_;
  std::unique_ptr<UvClock> clock_;
  std::unique_ptr<TcpTransport> transport_;
  std::unique_ptr<Rpc> rpc_;
};

TEST_CASE("peer auth: members answer each other; another network is refused at once") {
  RpcNode a(test::test_credentials(1)), b(test::test_credentials(1)),
      stranger(test::test_credentials(2));
  auto [ok, ok_ms] = a.ping(b.address());
  CHECK(ok.ok());

  auto [refused, ms] = stranger.ping(a.address());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.code() == Errc::permission);
  CHECK(refused.error().context.find("peerstore invite") != std::string::npos);
  CHECK(ms < 2000);
  CHECK(eventually([&] { return a.transport_stats().closed_refused == 1; }));
  CHECK(stranger.transport_stats().closed_refused == 1);
  CHECK(a.rpc_stats().requests == 0);  // the stranger's ping never got through
}

TEST_CASE("peer auth: a message must come from the node its connection proved") {
  RpcNode server(test::test_credentials());
  auto creds = test::test_credentials();
  TcpTransportOptions o;
  o.listen = "127.0.0.1:0";
  o.credentials = creds;
  auto peer = test::TransportPeer::start(o);
  auto ping_as = [&](const Id256& id, uint64_t request_id) {
    Message m;
    m.request_id = request_id;
    m.sender = NodeRef{id, peer->address()};
    m.body = msg::Ping{};
    peer->send(server.address(), m.encode());
  };
  Id256 other = node_id_for(SigningKey::generate().public_key());
  ping_as(other, 1);                                    // claims to be another node
  ping_as(server.self().id, 2);                         // claims to be the server itself
  ping_as(node_id_for(creds->device.public_key()), 3);  // itself
  REQUIRE(eventually([&] { return peer->inbox_size() == 1; }));
  auto answer = Message::decode(peer->inbox()[0].message);
  REQUIRE(answer.ok());
  CHECK(answer->request_id == 3);
  CHECK(peer->inbox()[0].proven_id == server.self().id);
  auto st = server.rpc_stats();
  CHECK(st.impostor == 2);
  CHECK(st.requests == 1);
}

}  // namespace
}  // namespace peerstore
