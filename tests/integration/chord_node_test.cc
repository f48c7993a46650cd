// Three real ChordNodes on loopback, each on its own LoopThread with a UvClock, a TcpTransport
// and a ThreadDiskQueue over a MemoryStore: one creates the ring, two join through it; within
// seconds every node's successor and predecessor are right, and a block put through one node is
// read through another.
#include "dht/chord_node.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <future>
#include <random>

#include "dht/loop_thread.h"
#include "dht/tcp_transport.h"
#include "dht/thread_disk_queue.h"
#include "dht/uv_clock.h"
#include "keys/block_cipher.h"
#include "store/memory_store.h"
#include "transport_peer.h"

namespace peerstore {
namespace {

ChordConfig fast_config() {
  ChordConfig c;
  c.stabilize_ms = 100;
  c.check_predecessor_ms = 200;
  c.fix_fingers_ms = 50;
  c.probe_ms = 500;
  c.repair_ms = 500;
  c.handoff_ms = 2000;
  c.rpc_timeout_ms = 1000;
  c.hop_timeout_ms = 500;
  c.transfer_timeout_ms = 2000;
  return c;
}

// One process-integration-shaped node: everything but the LoopThread lives on the loop.
class Peer {
 public:
  explicit Peer(uint64_t seed) {
    auto t = LoopThread::start("test-chord");
    REQUIRE(t.ok());
    loop_ = std::move(*t);
    std::mt19937_64 rng(seed);
    PublicKey device;
    for (auto& b : device.b) b = uint8_t(rng());
    id_ = node_id_for(device);
    Status st = loop_->call([&]() -> Status {
      PS_ASSIGN(transport_, TcpTransport::start(loop_->loop(), {.listen = "127.0.0.1:0"}));
      clock_ = std::make_unique<UvClock>(loop_->loop());
      disk_ = std::make_unique<ThreadDiskQueue>(
          store_, [l = loop_.get()](std::function<void()> fn) { l->post(std::move(fn)); });
      ChordConfig cfg = fast_config();
      cfg.rng_seed = seed;
      node_ = std::make_unique<ChordNode>(*transport_, *clock_, store_, *disk_, id_, cfg);
      return {};
    });
    REQUIRE(st.ok());
    address_ = loop_->call([&] { return transport_->address(); });
  }
  ~Peer() {
    // The node first: it cancels its timers on the clock and unhooks from the transport.
    loop_->stop([&] {
      node_.reset();
      disk_.reset();
      transport_.reset();
      clock_.reset();
    });
  }

  const Id256& id() const { return id_; }
  const std::string& address() const { return address_; }
  template <class F>
  auto on_loop(F f) {
    return loop_->call([&] { return f(*node_); });
  }
  // Runs an asynchronous node operation and waits for its callback's argument.
  template <class T, class Start>
  T await(Start start) {
    auto result = std::make_shared<std::promise<T>>();
    auto done = result->get_future();
    loop_->post([&, result] { start(*node_, [result](T r) { result->set_value(std::move(r)); }); });
    REQUIRE(done.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
    return done.get();
  }

 private:
  std::unique_ptr<LoopThread> loop_;
  MemoryStore store_;  // thread-safe; used from the loop
  std::unique_ptr<TcpTransport> transport_;
  std::unique_ptr<UvClock> clock_;
  std::unique_ptr<ThreadDiskQueue> disk_;
  std::unique_ptr<ChordNode> node_;
  Id256 id_;
  std::string address_;
};

TEST_CASE("chord on tcp: three nodes form a ring and store a block") {
  std::vector<std::unique_ptr<Peer>> peers;
  for (uint64_t s = 1; s <= 3; ++s) peers.push_back(std::make_unique<Peer>(s * 7919));
  Peer &n1 = *peers[0], &n2 = *peers[1], &n3 = *peers[2];

  n1.on_loop([](ChordNode& n) { n.create(); });
  for (Peer* p : {&n2, &n3}) {
    Status joined = p->await<Status>([&](ChordNode& n, auto done) { n.join(n1.address(), done); });
    INFO((joined.ok() ? "" : joined.error().message()));
    REQUIRE(joined.ok());
  }

  // The true ring: ids in order; each node's successor is the next one, wrapping around.
  std::vector<Peer*> ring{&n1, &n2, &n3};
  std::sort(ring.begin(), ring.end(), [](Peer* a, Peer* b) { return a->id() < b->id(); });
  auto ring_right = [&] {
    for (size_t i = 0; i < 3; ++i) {
      Peer& next = *ring[(i + 1) % 3];
      Peer& prev = *ring[(i + 2) % 3];
      bool ok = ring[i]->on_loop([&](ChordNode& n) {
        auto& r = n.routing();
        return n.is_member() && r.successor().id == next.id() &&
               r.successor().addr == next.address() && r.predecessor() &&
               r.predecessor()->id == prev.id();
      });
      if (!ok) return false;
    }
    return true;
  };
  REQUIRE(test::eventually(ring_right, 10000));

  Bytes data(1000);
  std::mt19937_64 rng(5);
  for (auto& x : data) x = uint8_t(rng());
  Id256 id = hash_block(data);
  Status put = n3.await<Status>([&](ChordNode& n, auto done) { n.put_block(id, data, done); });
  INFO((put.ok() ? "" : put.error().message()));
  REQUIRE(put.ok());
  auto got = n1.await<Result<Bytes>>([&](ChordNode& n, auto done) { n.get_block(id, done); });
  REQUIRE(got.ok());
  CHECK(*got == data);
}

}  // namespace
}  // namespace peerstore
