#include "dht/replica_store.h"

#include <sodium.h>

#include "common/log.h"
#include "dht/ring.h"
#include "keys/block_cipher.h"

namespace peerstore {
namespace {

Fingerprint fingerprint(KeyKind kind, const Id256& key, const Id256* extra) {
  Fingerprint fp;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, fp.size());
  uint8_t k = uint8_t(kind);
  crypto_generichash_update(&st, &k, 1);
  crypto_generichash_update(&st, key.b.data(), key.b.size());
  if (extra) crypto_generichash_update(&st, extra->b.data(), extra->b.size());
  crypto_generichash_final(&st, fp.data(), fp.size());
  return fp;
}

}  // namespace

Fingerprint ReplicaStore::block_fingerprint(const Id256& id) {
  return fingerprint(KeyKind::block, id, nullptr);
}

Fingerprint ReplicaStore::heads_fingerprint(const Id256& key, const Id256& set_digest) {
  return fingerprint(KeyKind::heads, key, &set_digest);
}

ReplicaStore::ReplicaStore(LocalStore& store) : store_(store) {
  if (sodium_init() < 0) std::abort();
  auto st = store_.for_each_id([this](const BlockId& id, size_t) {
    index_[{id, KeyKind::block}] = KeyEntry{KeyKind::block, id, Id256{}, block_fingerprint(id)};
    return true;
  });
  if (!st) log::warn("dht: cannot index the local store: " + st.error().message());
}

Status ReplicaStore::put_block(const Id256& id, ByteView bytes) {
  if (bytes.size() > kMaxBlockSize) return fail(Errc::too_big, "block " + id.short_hex());
  if (hash_block(bytes) != id)
    return fail(Errc::corrupt, "block " + id.short_hex() + " does not hash to its id");
  if (contains(KeyKind::block, id)) return {};
  BlockRecord rec{id, bytes};
  PS_TRY(store_.put(std::span<const BlockRecord>(&rec, 1)));
  index_[{id, KeyKind::block}] = KeyEntry{KeyKind::block, id, Id256{}, block_fingerprint(id)};
  return {};
}

Result<Bytes> ReplicaStore::get_block(const Id256& id) {
  return store_.get(id);
}

void ReplicaStore::index_heads(const HeadSet& set) {
  Id256 key = HeadSet::key_for(set.volume());
  if (set.empty()) {
    index_.erase({key, KeyKind::heads});
    return;
  }
  index_[{key, KeyKind::heads}] =
      KeyEntry{KeyKind::heads, key, set.volume(), heads_fingerprint(key, set.digest())};
}

Result<bool> ReplicaStore::put_heads(const VolumeId& volume, const std::vector<Bytes>& heads) {
  HeadSet set(volume);
  PS_ASSIGN(auto stored, store_.heads(volume));
  set.add_trusted(stored);
  bool changed = false;
  size_t valid = 0;
  Error last;
  for (auto& b : heads) {
    auto h = HeadSet::check(volume, b);
    if (!h) {
      last = h.error();
      continue;
    }
    ++valid;
    changed |= set.add(*h);
  }
  if (changed) {
    PS_TRY(store_.set_heads(volume, set.encoded()));
  }
  if (changed || !contains(KeyKind::heads, HeadSet::key_for(volume))) index_heads(set);
  if (valid == 0 && !heads.empty()) return last;
  return changed;
}

Result<std::vector<Bytes>> ReplicaStore::get_heads(const VolumeId& volume) {
  return store_.heads(volume);
}

bool ReplicaStore::contains(KeyKind kind, const Id256& key) const {
  return index_.count({key, kind}) > 0;
}

std::optional<KeyEntry> ReplicaStore::entry(KeyKind kind, const Id256& key) const {
  auto it = index_.find({key, kind});
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void ReplicaStore::for_range(const Id256& lo, const Id256& hi,
                             const std::function<bool(const KeyEntry&)>& fn) const {
  auto first = index_.upper_bound({lo, KeyKind(255)});
  if (lo < hi) {
    for (auto it = first; it != index_.end() && it->first.first <= hi; ++it)
      if (!fn(it->second)) return;
    return;
  }
  // Wraps past zero (or is the whole ring when lo == hi).
  for (auto it = first; it != index_.end(); ++it)
    if (!fn(it->second)) return;
  for (auto it = index_.begin(); it != index_.end() && it->first.first <= hi; ++it)
    if (!fn(it->second)) return;
}

std::vector<RangeDigest> ReplicaStore::summarize(const Id256& lo, const Id256& hi,
                                                 unsigned parts_log2) const {
  auto b = ring::split(lo, hi, parts_log2);
  size_t parts = b.size() - 1;
  std::vector<RangeDigest> out(parts);
  size_t i = 0;
  for_range(lo, hi, [&](const KeyEntry& e) {
    // Parts whose bounds coincide are empty (a range narrower than its part count).
    while (i + 1 < parts && (b[i] == b[i + 1] || !ring::in_half_open(e.key, b[i], b[i + 1]))) ++i;
    auto& d = out[i];
    ++d.count;
    for (size_t k = 0; k < d.fp.size(); ++k) d.fp[k] ^= e.fp[k];
    return true;
  });
  return out;
}

std::vector<KeyEntry> ReplicaStore::list(const Id256& lo, const Id256& hi, size_t limit,
                                         bool* truncated) const {
  std::vector<KeyEntry> out;
  *truncated = false;
  Id256 next;
  for_range(lo, hi, [&](const KeyEntry& e) {
    if (out.size() >= limit) {
      *truncated = true;
      next = e.key;
      return false;
    }
    out.push_back(e);
    return true;
  });
  // A continuation starts after the last listed key, so never cut between two kinds of one key.
  if (*truncated)
    while (out.size() > 1 && out.back().key == next) out.pop_back();
  return out;
}

}  // namespace peerstore
