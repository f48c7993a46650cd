// The RemoteStore conformance suite (src/store/remote_store.h), run against every
// implementation: the fake network the tiered store's tests use (tests/support/), a real
// one-node DhtClient on 127.0.0.1, and a RelayStore reaching such a node as a client. Every
// callback runs exactly once, later, and not on the caller's thread; a block put is got back, a
// missing one is not_found; heads put are got back once each, concurrent ones side by side,
// dominated ones dropped; an unknown volume has no heads; release deletes exactly the offered
// blocks the node need not keep, from the shared local store, and reports them. Where the fake is
// simpler than the DHT (it takes block ids on trust), the case says so. Runs on the test thread;
// callbacks on the implementation's threads.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "../sim/test_data.h"  // signed heads of test volumes
#include "dht/dht_client.h"
#include "dht/relay_store.h"
#include "keys/block_cipher.h"
#include "store/memory_store.h"
#include "support/fake_remote_store.h"
#include "test_credentials.h"

namespace peerstore {
namespace {

struct FakeRig {
  static constexpr bool kChecksIds = false;
  static constexpr bool kSharesStore = true;
  MemoryStore local;  // the store the network side shares
  test::FakeRemoteStore fake;
  FakeRig() {
    fake.local = &local;
    fake.keep = [](const BlockId& id) { return id.b[0] < 0x80; };  // "replicas" of half the keys
  }
  RemoteStore& remote() { return fake; }
  // Whether the network side must keep its copy of `id` (its node is one of the replicas).
  bool must_keep(const BlockId& id) { return fake.keep(id); }
};

struct DhtRig {
  static constexpr bool kChecksIds = true;
  static constexpr bool kSharesStore = true;
  MemoryStore local;  // the node's ring store
  std::unique_ptr<DhtClient> client;
  DhtRig() {
    DhtClientOptions o;
    o.credentials = test::test_credentials();
    o.chord.rpc_timeout_ms = 2000;
    auto c = DhtClient::start(local, o);
    INFO((c.ok() ? "" : c.error().message()));
    REQUIRE(c.ok());
    client = std::move(*c);
  }
  RemoteStore& remote() { return *client; }
  bool must_keep(const BlockId&) { return true; }  // the only node: a replica of every key
};

// A client without a node: the ring is a one-node DhtClient it reaches over TCP; its own
// store is a cache it shares with nobody, so every released block goes from there.
struct RelayRig {
  static constexpr bool kChecksIds = true;
  static constexpr bool kSharesStore = false;
  MemoryStore ring;   // the node's store
  MemoryStore local;  // the client's cache
  std::unique_ptr<DhtClient> node;
  std::unique_ptr<RelayStore> relay;
  RelayRig() {
    DhtClientOptions o;
    o.credentials = test::test_credentials();
    o.chord.rpc_timeout_ms = 2000;
    auto c = DhtClient::start(ring, o);
    INFO((c.ok() ? "" : c.error().message()));
    REQUIRE(c.ok());
    node = std::move(*c);
    RelayStoreOptions ro;
    ro.node = node->address();
    ro.credentials = test::test_credentials();
    ro.timeout_ms = 10000;
    ro.cache = &local;
    auto r = RelayStore::start(ro);
    REQUIRE(r.ok());
    relay = std::move(*r);
  }
  ~RelayRig() { relay.reset(); }  // before the node it talks to
  RemoteStore& remote() { return *relay; }
  bool must_keep(const BlockId&) { return false; }
};

#define REMOTE_STORES FakeRig, DhtRig, RelayRig

// Makes one call and waits for its callback, checking that it came once and on another thread
// (so never inside the call, which runs on this one).
template <class T, class Start>
T await(Start start) {
  auto promise = std::make_shared<std::promise<T>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto same_thread = std::make_shared<std::atomic<bool>>(false);
  const auto caller = std::this_thread::get_id();
  auto result = promise->get_future();
  start([=](T r) {
    if (std::this_thread::get_id() == caller) *same_thread = true;
    if (calls->fetch_add(1) == 0) promise->set_value(std::move(r));
  });
  REQUIRE(result.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  T r = result.get();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a second callback would show
  CHECK(calls->load() == 1);
  CHECK_FALSE(same_thread->load());
  return r;
}

sim::TestBlock block(uint64_t seed, size_t size = 1000) {
  std::mt19937_64 rng(seed);
  return sim::random_block(rng, size, size);
}

template <class Rig>
std::vector<Bytes> heads_of(Rig& r, const VolumeId& v) {
  auto got = await<Result<std::vector<Bytes>>>(
      [&](auto done) { r.remote().get_heads(v, std::move(done)); });
  REQUIRE(got.ok());
  std::vector<Bytes> sorted = *got;
  std::sort(sorted.begin(), sorted.end(), bytes_less);
  return sorted;
}

std::vector<Bytes> sorted(std::vector<Bytes> v) {
  std::sort(v.begin(), v.end(), bytes_less);
  return v;
}

TEST_CASE_TEMPLATE("remote store: a block put is got back; a missing one is not_found", Rig,
                   REMOTE_STORES) {
  Rig r;
  auto b = block(1), big = block(2, 300000), missing = block(3);
  for (auto* t : {&b, &big}) {
    Status put =
        await<Status>([&](auto done) { r.remote().put_block(t->id, t->data, std::move(done)); });
    INFO((put.ok() ? "" : put.error().message()));
    REQUIRE(put.ok());
  }
  for (auto* t : {&b, &big}) {
    auto got = await<Result<Bytes>>([&](auto done) { r.remote().get_block(t->id, done); });
    REQUIRE(got.ok());
    CHECK(*got == t->data);
    CHECK(block_id_matches(t->id, *got));
  }
  auto none = await<Result<Bytes>>([&](auto done) { r.remote().get_block(missing.id, done); });
  CHECK(none.code() == Errc::not_found);
  // Putting a block again is fine.
  CHECK(await<Status>([&](auto done) { r.remote().put_block(b.id, b.data, done); }).ok());
}

TEST_CASE_TEMPLATE("remote store: a block under another block's id", Rig, REMOTE_STORES) {
  Rig r;
  auto b = block(4), other = block(5);
  Status put = await<Status>([&](auto done) { r.remote().put_block(b.id, other.data, done); });
  auto got = await<Result<Bytes>>([&](auto done) { r.remote().get_block(b.id, done); });
  if constexpr (Rig::kChecksIds) {
    // The replicas check the id: nothing is stored, and nothing wrong is ever returned.
    CHECK_FALSE(put.ok());
    CHECK(got.code() == Errc::not_found);
  } else {
    // The fake takes ids on trust (see its header).
    CHECK(put.ok());
  }
}

TEST_CASE_TEMPLATE("remote store: heads are got back once each; unknown volumes have none", Rig,
                   REMOTE_STORES) {
  Rig r;
  VolumeKeys vol = sim::make_volume(11), other = sim::make_volume(12);
  CHECK(heads_of(r, vol.id()).empty());
  // Two concurrent heads (neither's version vector dominates) are kept side by side.
  Bytes h1 = sim::make_head(vol, {{sim::device_id(1), 1}});
  Bytes h2 = sim::make_head(vol, {{sim::device_id(2), 1}});
  CHECK(await<Status>([&](auto done) { r.remote().put_heads(vol.id(), {h1}, done); }).ok());
  CHECK(heads_of(r, vol.id()) == std::vector<Bytes>{h1});
  CHECK(await<Status>([&](auto done) { r.remote().put_heads(vol.id(), {h2, h1}, done); }).ok());
  CHECK(heads_of(r, vol.id()) == sorted({h1, h2}));
  CHECK(heads_of(r, other.id()).empty());

  // A head that dominates both.
  Bytes merged = sim::make_head(vol, {{sim::device_id(1), 1}, {sim::device_id(2), 2}});
  CHECK(await<Status>([&](auto done) { r.remote().put_heads(vol.id(), {merged}, done); }).ok());
  CHECK(heads_of(r, vol.id()) == std::vector<Bytes>{merged});
  // A head that it dominates is not taken back.
  CHECK(await<Status>([&](auto done) { r.remote().put_heads(vol.id(), {h2}, done); }).ok());
  CHECK(heads_of(r, vol.id()) == std::vector<Bytes>{merged});
}

TEST_CASE_TEMPLATE("remote store: release deletes only offered copies and says which", Rig,
                   REMOTE_STORES) {
  Rig r;
  // a in the lower half of the ring, b in the upper (the fake's node keeps only a).
  auto a = block(6), b = block(7), c = block(8);
  for (uint64_t seed = 9; a.id.b[0] >= 0x80; ++seed) a = block(seed);
  for (uint64_t seed = 100; b.id.b[0] < 0x80; ++seed) b = block(seed);
  WriteBatch w;
  for (auto* t : {&a, &b, &c}) w.blocks.push_back(BlockRecord{t->id, t->data});
  REQUIRE(r.local.write(w).ok());
  auto released = await<std::vector<BlockId>>([&](auto done) {
    r.remote().release({a.id, b.id}, std::move(done));
  });
  for (const BlockId& id : released) CHECK((id == a.id || id == b.id));
  for (auto* t : {&a, &b}) {
    // Released exactly when the node need not keep it, and then gone from the local store.
    bool was_released = std::count(released.begin(), released.end(), t->id) == 1;
    CHECK(was_released == !r.must_keep(t->id));
    CHECK(*r.local.contains(t->id) == !was_released);
  }
  CHECK(*r.local.contains(c.id));  // not offered
}

TEST_CASE_TEMPLATE("remote store: a block the shared local store holds is put by id", Rig,
                   REMOTE_STORES) {
  Rig r;
  MemoryStore other;
  if constexpr (!Rig::kSharesStore) {
    // A client shares no store with the ring: its uploads send bytes.
    CHECK_FALSE(r.remote().shares_store_with(r.local));
    CHECK_FALSE(r.remote().shares_store_with(other));
    return;
  }
  REQUIRE(r.remote().shares_store_with(r.local));
  CHECK_FALSE(r.remote().shares_store_with(other));
  auto b = block(20, 70000), missing = block(21);
  WriteBatch w;
  w.blocks.push_back(BlockRecord{b.id, b.data});
  REQUIRE(r.local.write(w).ok());
  Status put = await<Status>([&](auto done) { r.remote().put_stored_block(b.id, 0, done); });
  INFO((put.ok() ? "" : put.error().message()));
  REQUIRE(put.ok());
  auto got = await<Result<Bytes>>([&](auto done) { r.remote().get_block(b.id, done); });
  REQUIRE(got.ok());
  CHECK(*got == b.data);
  // The caller that wrote the block says its size: the same, without the store's lookup.
  auto c = block(22, 5000);
  WriteBatch w2;
  w2.blocks.push_back(BlockRecord{c.id, c.data});
  REQUIRE(r.local.write(w2).ok());
  put = await<Status>([&](auto done) { r.remote().put_stored_block(c.id, c.data.size(), done); });
  REQUIRE(put.ok());
  got = await<Result<Bytes>>([&](auto done) { r.remote().get_block(c.id, done); });
  REQUIRE(got.ok());
  CHECK(*got == c.data);
  // Not in the local store, and no size said: nothing to put.
  Status none = await<Status>([&](auto done) { r.remote().put_stored_block(missing.id, 0, done); });
  CHECK(none.code() == Errc::not_found);
}

}  // namespace
}  // namespace peerstore
