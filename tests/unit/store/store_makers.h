// Makers for the LocalStore conformance suite: each opens one implementation in a fresh
// state and can reopen it (the in-memory store keeps its object; LMDB reopens its directory).
// Not thread-safe.
#pragma once

#include <doctest/doctest.h>
#include <sodium.h>

#include <memory>

#include "../common/temp_dir.h"
#include "store/lmdb_store.h"
#include "store/memory_store.h"

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
  std::unique_ptr<MemoryStore> store = std::make_unique<MemoryStore>();
  LocalStore& get() { return *store; }
};

struct LmdbStoreMaker {
  TempDir dir;
  std::unique_ptr<LmdbStore> store;
  LmdbStoreMaker() { reopen(); }
  LocalStore& get() { return *store; }
  void reopen() {
    store.reset();  // close first: one environment per directory per process
    auto s = LmdbStore::open(dir.file("db"));
    REQUIRE_MESSAGE(s.ok(), (s.ok() ? std::string() : s.error().message()));
    store = std::move(*s);
  }
};

// A store that shares an environment and its blocks with another but has its own heads
// database: it must behave as a LocalStore of its own.
struct LmdbSiblingStoreMaker {
  TempDir dir;
  std::unique_ptr<LmdbStore> base, store;
  LmdbSiblingStoreMaker() { reopen(); }
  LocalStore& get() { return *store; }
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

}  // namespace peerstore::test

TYPE_TO_STRING(peerstore::test::MemoryStoreMaker);
TYPE_TO_STRING(peerstore::test::LmdbStoreMaker);
TYPE_TO_STRING(peerstore::test::LmdbSiblingStoreMaker);
