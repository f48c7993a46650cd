// Test data for the sim suite: deterministic volumes, users, signed heads and grants, and random
// blocks.
// Single-threaded.
#pragma once

#include <optional>
#include <random>

#include "dht/head_set.h"
#include "keys/block_cipher.h"
#include "keys/grant.h"
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

// A user's key pair, deterministic in n.
inline SigningKey make_user(uint64_t n) {
  Bytes b(32, 0);
  put_u64be(b.data(), n + 1);
  return SigningKey::from_seed(Secret(b));
}

// A grant from `grantor` to `to` of the folder of `lineage` (its slot), signed; nullopt only if
// Grant::make fails, which the caller checks.
inline std::optional<Grant> make_grant(const SigningKey& grantor, const SigningKey& to,
                                       uint64_t lineage, uint64_t epoch, int64_t time_ns) {
  GrantContent c;
  Id256 l;
  put_u64be(l.b.data(), lineage);
  c.volume = l;
  Bytes k(32, 9);
  c.read_key = Secret(k);
  c.convergence = Secret(k);
  c.folder = "f" + std::to_string(lineage);
  c.grantor = grantor.public_key();
  c.recipient = to.public_key();
  c.lineage = l;
  c.epoch = epoch;
  c.time_ns = time_ns;
  auto g = Grant::make(grantor, c);
  if (!g) return std::nullopt;
  return std::move(*g);
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
