// Test data for the sim suite: deterministic volumes, signed heads and random blocks.
// Single-threaded.
#pragma once

#include <random>

#include "dht/head_set.h"
#include "keys/block_cipher.h"
#include "keys/volume_keys.h"

namespace peerstore::sim {

inline VolumeKeys make_volume(uint64_t seed) {
  Bytes s(32, 0), r(32, 0), c(32, 0);
  put_u64be(s.data(), seed);
  put_u64be(r.data(), seed ^ 0x5555);
  put_u64be(c.data(), seed ^ 0xaaaa);
  return VolumeKeys{SigningKey::from_seed(Secret(s)), Secret(r), Secret(c)};
}

inline Id256 device_id(uint8_t d) {
  Id256 id;
  id.b.fill(d);
  return id;
}

// A head of `keys`' volume with the given version vector, pointing at a fixed root.
inline Bytes make_head(const VolumeKeys& keys, std::vector<std::pair<Id256, uint64_t>> clock,
                       int64_t time_ns = 1) {
  BlockPtr root;
  root.id.b.fill(0x42);
  root.key.fill(0x24);
  Id256 device = clock.empty() ? device_id(1) : clock.front().first;
  return Head::make(keys, root, std::move(clock), {}, device, time_ns).encode();
}

struct TestBlock {
  Id256 id;
  Bytes data;
};

inline TestBlock random_block(std::mt19937_64& rng, size_t min_size = 32, size_t max_size = 256) {
  TestBlock b;
  b.data.resize(min_size + rng() % (max_size - min_size + 1));
  for (auto& x : b.data) x = uint8_t(rng());
  b.id = hash_block(b.data);
  return b;
}

inline Id256 random_id(std::mt19937_64& rng) {
  Id256 id;
  for (size_t k = 0; k < 32; k += 8) put_u64be(id.b.data() + k, rng());
  return id;
}

}  // namespace peerstore::sim
