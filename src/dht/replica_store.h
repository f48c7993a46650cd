// ReplicaStore: what one DHT node holds for the ring, on top of its LocalStore. It accepts a
// block only if BLAKE2b(bytes) equals its id and a head only if it verifies, keeps per volume the
// heads no other head dominates, and keeps a sorted in-memory index of every stored key with a
// content fingerprint, from which repair summarizes and lists key ranges. It never deletes:
// copies a node no longer owns stay (Carbonite keeps copies that come back).
// Loop thread only (the LocalStore underneath is thread-safe).
#pragma once

#include <functional>
#include <map>
#include <optional>

#include "dht/head_set.h"
#include "dht/message.h"
#include "store/local_store.h"

namespace peerstore {

class ReplicaStore {
 public:
  // Indexes the blocks already in `store`. Head sets are indexed as they are written (the
  // HeadStore interface cannot list volumes yet).
  explicit ReplicaStore(LocalStore& store);

  // Errc::corrupt if the bytes do not hash to `id`.
  Status put_block(const Id256& id, ByteView bytes);
  Result<Bytes> get_block(const Id256& id);
  // Merges the heads that verify into the volume's set; Errc::corrupt if none of them does
  // (the valid ones are kept either way). True if the stored set changed.
  Result<bool> put_heads(const VolumeId& volume, const std::vector<Bytes>& heads);
  Result<std::vector<Bytes>> get_heads(const VolumeId& volume);

  size_t size() const { return index_.size(); }
  bool contains(KeyKind kind, const Id256& key) const;
  std::optional<KeyEntry> entry(KeyKind kind, const Id256& key) const;
  // Entries with key in (lo, hi], in ring order from lo; stops when fn returns false.
  void for_range(const Id256& lo, const Id256& hi,
                 const std::function<bool(const KeyEntry&)>& fn) const;
  // The digests of the 2^parts_log2 parts of (lo, hi] (see ring::split).
  std::vector<RangeDigest> summarize(const Id256& lo, const Id256& hi, unsigned parts_log2) const;
  // Up to `limit` entries of (lo, hi] in ring order; *truncated if there were more.
  std::vector<KeyEntry> list(const Id256& lo, const Id256& hi, size_t limit, bool* truncated) const;

  static Fingerprint block_fingerprint(const Id256& id);
  static Fingerprint heads_fingerprint(const Id256& key, const Id256& set_digest);

 private:
  using IndexKey = std::pair<Id256, KeyKind>;
  void index_heads(const HeadSet& set);

  LocalStore& store_;
  std::map<IndexKey, KeyEntry> index_;
};

}  // namespace peerstore
