// What the DHT's signed record sets (HeadSet, InboxSet) share: the DHT key of a record,
// BLAKE2b(domain || owner key), and, for items kept sorted by hash with their encoding, the
// encodings in that order and the set's digest (BLAKE2b over the sorted hashes, what repair
// compares). Pure functions; thread-safe.
#pragma once

#include <sodium.h>

#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace peerstore::record_set {

inline Id256 key(std::string_view domain, const Id256& owner) {
  Id256 k;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, k.b.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(domain.data()), domain.size());
  crypto_generichash_update(&st, owner.b.data(), owner.b.size());
  crypto_generichash_final(&st, k.b.data(), k.b.size());
  return k;
}

// Item: has `hash` (Id256) and `bytes` (Bytes); `items` sorted by hash.
template <typename Item>
std::vector<Bytes> encoded(const std::vector<Item>& items) {
  std::vector<Bytes> out;
  out.reserve(items.size());
  for (auto& it : items) out.push_back(it.bytes);
  return out;
}

template <typename Item>
Id256 digest(const std::vector<Item>& items) {
  Id256 d;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, d.b.size());
  for (auto& it : items) crypto_generichash_update(&st, it.hash.b.data(), it.hash.b.size());
  crypto_generichash_final(&st, d.b.data(), d.b.size());
  return d;
}

}  // namespace peerstore::record_set
