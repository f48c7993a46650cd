// Three real nodes on loopback through DhtClient, the face the binaries use (each: a LoopThread
// with a UvClock, a TcpTransport, a ThreadDiskQueue over a MemoryStore and a ChordNode): one
// creates the ring, two join through it; within seconds every node's status shows the right
// successor and predecessor, and a block put through one node is read through another.
#include <doctest/doctest.h>

#include <algorithm>
#include <future>
#include <random>

#include "dht/dht_client.h"
#include "dht/node_ref.h"
#include "dht/relay_store.h"
#include "keys/block_cipher.h"
#include "store/memory_store.h"
#include "test_credentials.h"
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

// A node and the store it keeps for the ring.
struct Peer {
  MemoryStore store;
  Id256 id;
  std::unique_ptr<DhtClient> client;

  // Every peer proves a device key of its own and the one network secret they share.
  Peer(uint64_t seed, const std::string& join) {
    std::mt19937_64 rng(seed);
    Secret device_seed(SigningKey::kSeedSize);
    for (size_t i = 0; i < device_seed.size(); ++i) device_seed.data()[i] = uint8_t(rng());
    SigningKey device = SigningKey::from_seed(device_seed);
    id = node_id_for(device.public_key());
    DhtClientOptions o;
    o.join = join;
    o.credentials = std::make_shared<const PeerCredentials>(
        std::move(device), Secret(Bytes(PeerCredentials::kNetworkSecretSize, 0x42)));
    o.chord = fast_config();
    o.chord.rng_seed = seed;
    auto c = DhtClient::start(store, o);
    INFO((c.ok() ? "" : c.error().message()));
    REQUIRE(c.ok());
    client = std::move(*c);
  }
};

// Waits for the argument of an asynchronous call's callback.
template <class T, class Start>
T await(Start start) {
  auto result = std::make_shared<std::promise<T>>();
  auto done = result->get_future();
  start([result](T r) { result->set_value(std::move(r)); });
  REQUIRE(done.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  return done.get();
}

TEST_CASE("chord on tcp: three nodes form a ring and store a block") {
  std::vector<std::unique_ptr<Peer>> peers;
  peers.push_back(std::make_unique<Peer>(7919, ""));
  std::string first = peers[0]->client->address();
  for (uint64_t s = 2; s <= 3; ++s) peers.push_back(std::make_unique<Peer>(s * 7919, first));

  // The true ring: ids in order; each node's successor is the next one, wrapping around.
  std::vector<Peer*> ring;
  for (auto& p : peers) ring.push_back(p.get());
  std::sort(ring.begin(), ring.end(), [](Peer* a, Peer* b) { return a->id < b->id; });
  auto ring_right = [&] {
    for (size_t i = 0; i < 3; ++i) {
      Peer& next = *ring[(i + 1) % 3];
      Peer& prev = *ring[(i + 2) % 3];
      msg::NodeStatus st = ring[i]->client->status();
      bool ok = st.state == "member" && !st.successors.empty() &&
                st.successors.front().id == next.id &&
                st.successors.front().addr == next.client->address() && st.predecessor &&
                st.predecessor->id == prev.id;
      if (!ok) return false;
    }
    return true;
  };
  REQUIRE(test::eventually(ring_right, 10000));

  Bytes data(1000);
  std::mt19937_64 rng(5);
  for (auto& x : data) x = uint8_t(rng());
  Id256 id = hash_block(data);
  Status put = await<Status>([&](auto done) { peers[2]->client->put_block(id, data, done); });
  INFO((put.ok() ? "" : put.error().message()));
  REQUIRE(put.ok());
  auto got = await<Result<Bytes>>([&](auto done) { peers[0]->client->get_block(id, done); });
  REQUIRE(got.ok());
  CHECK(*got == data);
  // The put returned at its quorum (2); the third copy follows.
  auto copies_are = [&](uint64_t n) {
    return test::eventually(
        [&] {
          uint64_t copies = 0;
          for (auto& p : peers) copies += p->client->status().blocks;
          return copies == n;
        },
        5000);
  };
  CHECK(copies_are(3));

  // A block the hosting process wrote to a node's own store (a mount's upload): the node reads
  // its bytes for the copies it sends, and every replica ends up with it.
  Bytes local(5000);
  for (auto& x : local) x = uint8_t(rng());
  Id256 local_id = hash_block(local);
  WriteBatch w;
  w.blocks.push_back(BlockRecord{local_id, local});
  REQUIRE(peers[2]->store.write(w).ok());
  REQUIRE(peers[2]->client->shares_store_with(peers[2]->store));
  CHECK_FALSE(peers[2]->client->shares_store_with(peers[0]->store));
  Status sput =
      await<Status>([&](auto done) { peers[2]->client->put_stored_block(local_id, 0, done); });
  INFO((sput.ok() ? "" : sput.error().message()));
  REQUIRE(sput.ok());
  auto sgot = await<Result<Bytes>>([&](auto done) { peers[0]->client->get_block(local_id, done); });
  REQUIRE(sgot.ok());
  CHECK(*sgot == local);
  CHECK(copies_are(6));
}

TEST_CASE("chord on tcp: a node whose store is full refuses copies, and status shows its space") {
  Peer p(7, "");
  constexpr uint64_t kCapacity = 256 << 10;
  p.store.set_capacity(kCapacity);
  msg::NodeStatus st = p.client->status();
  CHECK(st.store_total == kCapacity);
  CHECK(st.store_free <= kCapacity);

  std::mt19937_64 rng(9);
  auto block = [&] {
    Bytes data(60 << 10);
    for (auto& x : data) x = uint8_t(rng());
    return data;
  };
  size_t stored = 0;
  Status refused;
  for (int i = 0; i < 10 && refused.ok(); ++i) {
    Bytes data = block();
    Status put =
        await<Status>([&](auto done) { p.client->put_block(hash_block(data), data, done); });
    if (put.ok())
      ++stored;
    else
      refused = put;
  }
  CHECK(stored >= 2);
  CHECK(stored < 5);
  REQUIRE_FALSE(refused.ok());
  INFO(refused.error().message());
  CHECK(refused.error().message().find("full") != std::string::npos);
  CHECK(p.client->status().store_free < (60 << 10) * 2);
  CHECK(p.client->status().blocks == stored);

  // Room again: it takes copies again.
  p.store.set_capacity(0);
  Bytes data = block();
  Status put = await<Status>([&](auto done) { p.client->put_block(hash_block(data), data, done); });
  CHECK(put.ok());
}

}  // namespace
}  // namespace peerstore

namespace peerstore {
namespace {

// A node of another network is refused by the handshake: the join fails at once (no retries,
// which cannot help) with a line that says what to do, and the ring never hears of it.
TEST_CASE("chord on tcp: a node without the network secret cannot join") {
  Peer first(1, "");
  MemoryStore store;
  DhtClientOptions o;
  o.credentials = test::test_credentials(2);
  o.join = first.client->address();
  o.chord = fast_config();
  auto started = std::chrono::steady_clock::now();
  auto c = DhtClient::start(store, o);
  auto took = std::chrono::steady_clock::now() - started;
  REQUIRE_FALSE(c.ok());
  INFO(c.error().message());
  CHECK(c.error().context.starts_with("cannot join " + o.join + ": "));
  CHECK(c.error().context.find("pass --join TOKEN") != std::string::npos);
  CHECK(took < std::chrono::seconds(2));
  CHECK_FALSE(first.client->status().predecessor.has_value());
}

}  // namespace
}  // namespace peerstore

namespace peerstore {
namespace {

// A client without a node (peerstore backup) reaches the ring through one member: in a ring of
// four, where the relaying node is not a replica of every key, what it puts lands on the key's
// three replicas, reads through another member come back, heads round-trip, and the ring never
// counts the client as a node.
TEST_CASE("chord on tcp: a client reaches the whole ring through one node") {
  std::vector<std::unique_ptr<Peer>> peers;
  peers.push_back(std::make_unique<Peer>(31, ""));
  std::string first = peers[0]->client->address();
  for (uint64_t s = 2; s <= 4; ++s) peers.push_back(std::make_unique<Peer>(s * 31, first));
  auto ring_formed = [&] {
    for (auto& p : peers) {
      auto st = p->client->status();
      if (st.state != "member" || st.successors.size() < 3 || !st.predecessor) return false;
    }
    return true;
  };
  REQUIRE(test::eventually(ring_formed, 10000));

  auto relay_to = [&](Peer& p) {
    RelayStoreOptions o;
    o.node = p.client->address();
    o.credentials = std::make_shared<const PeerCredentials>(
        SigningKey::generate(), Secret(Bytes(PeerCredentials::kNetworkSecretSize, 0x42)));
    o.timeout_ms = 10000;
    auto r = RelayStore::start(o);
    REQUIRE(r.ok());
    return std::move(*r);
  };
  auto writer = relay_to(*peers[1]);
  auto reader = relay_to(*peers[3]);

  std::mt19937_64 rng(17);
  std::vector<std::pair<Id256, Bytes>> blocks;
  for (int i = 0; i < 8; ++i) {
    Bytes data(3000 + i);
    for (auto& x : data) x = uint8_t(rng());
    Id256 id = hash_block(data);
    Status put = await<Status>([&](auto done) { writer->put_block(id, data, done); });
    INFO((put.ok() ? "" : put.error().message()));
    REQUIRE(put.ok());
    blocks.emplace_back(id, std::move(data));
  }
  for (auto& [id, data] : blocks) {
    auto got = await<Result<Bytes>>([&](auto done) { reader->get_block(id, done); });
    REQUIRE(got.ok());
    CHECK(*got == data);
  }
  // Three copies of each, wherever its replicas are (with four nodes, not all on one).
  CHECK(test::eventually(
      [&] {
        uint64_t copies = 0;
        for (auto& p : peers) copies += p->client->status().blocks;
        return copies == 3 * blocks.size();
      },
      5000));
  bool somewhere_missing = false;
  for (auto& p : peers) somewhere_missing |= p->client->status().blocks < blocks.size();
  CHECK(somewhere_missing);

  Bytes nothing(10, 7);
  auto none =
      await<Result<Bytes>>([&](auto done) { reader->get_block(hash_block(nothing), done); });
  CHECK(none.code() == Errc::not_found);

  // The ring has its four nodes, and no client among them.
  for (auto& p : peers) {
    auto st = p->client->status();
    for (auto& s : st.successors) CHECK(s.addr.find("client") == std::string::npos);
    REQUIRE(st.predecessor);
    CHECK(st.predecessor->addr.find("client") == std::string::npos);
  }
}

// A node nobody runs, and a client of another network: one line each that says what to check.
TEST_CASE("chord on tcp: a client that cannot reach a node says why") {
  Peer p(5, "");
  RelayStoreOptions o;
  o.node = "127.0.0.1:1";  // nothing listens there
  o.credentials = test::test_credentials();
  o.timeout_ms = 2000;
  auto nowhere = RelayStore::start(o);
  REQUIRE(nowhere.ok());
  Bytes data(100, 1);
  Status put =
      await<Status>([&](auto done) { (*nowhere)->put_block(hash_block(data), data, done); });
  REQUIRE_FALSE(put.ok());
  INFO(put.error().message());
  CHECK(put.code() == Errc::unavailable);
  CHECK(put.error().context.find("is it running") != std::string::npos);

  o.node = p.client->address();
  o.credentials = test::test_credentials(9);  // another network's secret
  auto stranger = RelayStore::start(o);
  REQUIRE(stranger.ok());
  put = await<Status>([&](auto done) { (*stranger)->put_block(hash_block(data), data, done); });
  REQUIRE_FALSE(put.ok());
  INFO(put.error().message());
  CHECK(p.client->status().blocks == 0);
}

}  // namespace
}  // namespace peerstore
