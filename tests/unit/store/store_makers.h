// Makers for the LocalStore conformance suite: each opens one implementation in a fresh
// state (LMDB ones can reopen their directory). kNetworkBehind marks a store with the network
// behind it (TieredStore), whose reads may also return what the network holds; settle() waits
// until such a store's writes have reached the network. Not thread-safe.
#pragma once

#include <doctest/doctest.h>
#include <sodium.h>

#include <chrono>
#include <memory>

#include "../common/temp_dir.h"
#include "store/collecting_store.h"
#include "store/lmdb_store.h"
#include "store/memory_store.h"
#include "store/tiered_store.h"
#include "support/fake_remote_store.h"

namespace peerstore::test {

// A block with its bytes kept alive: BlockRecord may only view the data.
struct TestBlock {
  BlockId id;
  Bytes data;
  BlockRecord record() const { return BlockRecord{id, data}; }
};

// Content-addressed like real blocks (id = BLAKE2b-256(data)), `size` bytes derived from `seed`.
inline TestBlock make_block(uint32_t seed, size_t size = 100) {
  TestBlock b;
  b.data.resize(size);
  for (size_t i = 0; i < size; ++i) b.data[i] = uint8_t(seed * 131 + i * 7 + (i >> 8));
  crypto_generichash(b.id.b.data(), 32, b.data.data(), b.data.size(), nullptr, 0);
  return b;
}

inline VolumeId volume_id(uint8_t fill) {
  VolumeId v;
  v.b.fill(fill);
  return v;
}

struct MemoryStoreMaker {
  static constexpr bool kNetworkBehind = false;
  std::unique_ptr<MemoryStore> store = std::make_unique<MemoryStore>();
  LocalStore& get() { return *store; }
  void settle() {}
  void set_capacity(uint64_t bytes) { store->set_capacity(bytes); }
};

// With a mark held, so that writes go through the write history's record.
struct CollectingStoreMaker {
  static constexpr bool kNetworkBehind = false;
  std::unique_ptr<MemoryStore> inner = std::make_unique<MemoryStore>();
  std::unique_ptr<CollectingStore> store = std::make_unique<CollectingStore>(*inner);
  std::shared_ptr<const WriteMark> mark = store->write_mark();
  LocalStore& get() { return *store; }
  void settle() {}
  void set_capacity(uint64_t bytes) { inner->set_capacity(bytes); }
};

// With BackgroundSyncMs above 0, a store that commits what is not durable without a sync and
// syncs in the background (a storage node's --replica-ack=written): the same LocalStore, only
// the disk sees it later.
template <int64_t BackgroundSyncMs>
struct LmdbStoreMakerWith {
  static constexpr bool kNetworkBehind = false;
  TempDir dir;
  std::unique_ptr<LmdbStore> store;
  LmdbStoreMakerWith() { reopen(); }
  LocalStore& get() { return *store; }
  void settle() {}
  void set_capacity(uint64_t bytes) { store->set_capacity(bytes); }
  void reopen() {
    store.reset();  // close first: one environment per directory per process
    auto s = LmdbStore::open(dir.file("db"), {.background_sync_ms = BackgroundSyncMs});
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().message()));
    store = std::move(*s);
  }
};
using LmdbStoreMaker = LmdbStoreMakerWith<0>;
using LmdbBackgroundSyncStoreMaker = LmdbStoreMakerWith<10>;

// A store that shares an environment and its blocks with another but has its own heads
// database: it must behave as a LocalStore of its own.
struct LmdbSiblingStoreMaker {
  static constexpr bool kNetworkBehind = false;
  TempDir dir;
  std::unique_ptr<LmdbStore> base, store;
  LmdbSiblingStoreMaker() { reopen(); }
  LocalStore& get() { return *store; }
  void settle() {}
  void set_capacity(uint64_t bytes) { base->set_capacity(bytes); }  // the environment's
  void reopen() {
    store.reset();
    base.reset();
    auto b = LmdbStore::open(dir.file("db"));
    REQUIRE_MESSAGE(b.ok(), (b.ok() ? std::string() : b.error().message()));
    base = std::move(*b);
    auto s = base->with_heads_db("ring_heads");
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().message()));
    store = std::move(*s);
  }
};

// A TieredStore over an LMDB store and the fake network, uploading as it would in a mount.
struct TieredStoreMaker {
  static constexpr bool kNetworkBehind = true;
  LmdbStoreMaker local;
  FakeRemoteStore remote;
  std::unique_ptr<TieredStore> store;
  TieredStoreMaker() {
    remote.delay_ms = 0;
    TieredStoreOptions o;
    o.heads_timeout_ms = 2000;
    o.upload.retry_ms = 20;
    store = std::make_unique<TieredStore>(local.get(), remote, o);
  }
  ~TieredStoreMaker() { store.reset(); }  // before the fake network stops
  LocalStore& get() { return *store; }
  void settle() { REQUIRE(store->flush(std::chrono::seconds(10)).ok()); }
  void set_capacity(uint64_t bytes) { local.set_capacity(bytes); }
};

}  // namespace peerstore::test

TYPE_TO_STRING(peerstore::test::TieredStoreMaker);
TYPE_TO_STRING(peerstore::test::MemoryStoreMaker);
TYPE_TO_STRING(peerstore::test::LmdbStoreMaker);
TYPE_TO_STRING(peerstore::test::LmdbSiblingStoreMaker);
