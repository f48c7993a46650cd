#include "dht/replica_store.h"

#include <sodium.h>

#include <algorithm>
#include <cassert>
#include <utility>

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

Fingerprint ReplicaStore::record_fingerprint(KeyKind kind, const Id256& key,
                                             const Id256& set_digest) {
  return fingerprint(kind, key, &set_digest);
}

namespace {

// Where a record set lives in the heads table, and how its row is written and read back (see
// the class comment): head sets under the volume key, inboxes under their DHT key, claims under
// BLAKE2b("claims" || block id), each but head sets led by a marker item [kind, owner...].
// Claims cannot use their DHT key, the block id: anyone can choose a block's bytes, and so make
// its id equal to the key of someone's inbox.
constexpr size_t kMarkerSize = 1 + sizeof(Id256::b);

Id256 row_key(KeyKind kind, const Id256& owner) {
  if (kind == KeyKind::heads) return owner;
  if (kind != KeyKind::claims) return RecordSet::key_for(kind, owner);
  static constexpr char kContext[] = "claims";
  Id256 row;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, row.b.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>(kContext), sizeof kContext - 1);
  crypto_generichash_update(&st, owner.b.data(), owner.b.size());
  crypto_generichash_final(&st, row.b.data(), row.b.size());
  return row;
}

std::vector<Bytes> row_value(const RecordSet& set) {
  auto items = set.encoded();
  if (set.kind() == KeyKind::heads || items.empty()) return items;  // none: the row is deleted
  Bytes marker(kMarkerSize);
  marker[0] = uint8_t(set.kind());
  std::copy(set.owner().b.begin(), set.owner().b.end(), marker.begin() + 1);
  items.insert(items.begin(), std::move(marker));
  return items;
}

// The set a row holds; nullopt for a marker whose kind or key does not match the row.
std::optional<RecordSet> parse_row(const Id256& row, std::vector<Bytes> items) {
  // A head's encoding is a msgpack array, never a byte string led by a small integer.
  if (!items.empty() && items[0].size() == kMarkerSize && items[0][0] != uint8_t(KeyKind::heads) &&
      is_record_kind(KeyKind(items[0][0]))) {
    KeyKind kind = KeyKind(items[0][0]);
    Id256 owner;
    std::copy(items[0].begin() + 1, items[0].end(), owner.b.begin());
    if (row_key(kind, owner) != row) return std::nullopt;
    RecordSet set(kind, owner);
    items.erase(items.begin());
    set.add_trusted(items);
    return set;
  }
  RecordSet set(KeyKind::heads, row);
  set.add_trusted(items);
  return set;
}

}  // namespace

ReplicaStore::ReplicaStore(LocalStore& store, DiskQueue& disk)
    : store_(store), disk_(disk), pending_{.seq = 1} {
  if (sodium_init() < 0) std::abort();
  auto st = store_.for_each_id([this](const BlockId& id, size_t size) {
    index_block(id);
    block_bytes_ += size;
    return true;
  });
  if (!st) log::warn("dht: cannot index the blocks of the local store: " + st.error().message());
  st = store_.for_each_volume([this](const Id256& row) {
    rows_indexed_ = index_row(row) && rows_indexed_;
    return true;
  });
  if (!st) {
    rows_indexed_ = false;
    log::warn("dht: cannot index the heads of the local store: " + st.error().message());
  }
}

void ReplicaStore::index_block(const Id256& id) {
  KeyEntry e{KeyKind::block, id, Id256{}, block_fingerprint(id)};
  if (index_.try_emplace({id, KeyKind::block}, e).second) ++counts_[size_t(KeyKind::block)];
}

void ReplicaStore::index_records(const RecordSet& set) {
  Id256 key = set.key();
  if (set.empty()) return unindex(set.kind(), key);
  KeyEntry e{set.kind(), key, set.owner(), record_fingerprint(set.kind(), key, set.digest())};
  if (index_.insert_or_assign({key, set.kind()}, e).second) ++counts_[size_t(set.kind())];
  if (set.kind() != KeyKind::claims) return;
  claimed_.insert(key);
  ClaimSet claims;
  claims.add_trusted(set.encoded());
  // The times in a stored set are 0: "every claim cancelled" is all released() asks.
  if (claims.releasable(0, 0))
    released_.insert(key);
  else
    released_.erase(key);
  if (claims_changed_.all) return;
  if (claims_changed_.ids.size() >= kMaxPuts) {
    claims_changed_ = PutsOfClaimed{{}, true};
    return;
  }
  claims_changed_.ids.push_back(key);
}

void ReplicaStore::unindex(KeyKind kind, const Id256& key) {
  if (index_.erase({key, kind})) --counts_[size_t(kind)];
  if (kind == KeyKind::claims) claimed_.erase(key), released_.erase(key);
}

Result<RecordSet> ReplicaStore::stored_records(KeyKind kind, const Id256& owner) const {
  Id256 row = row_key(kind, owner);
  PS_ASSIGN(auto items, store_.heads(row));
  auto set = parse_row(row, std::move(items));
  if (!set || set->kind() != kind || set->owner() != owner) return RecordSet(kind, owner);
  return std::move(*set);
}

bool ReplicaStore::index_row(const Id256& row) {
  auto items = store_.heads(row);
  if (!items) {
    log::warn("dht: cannot read the records of " + row.short_hex() + ": " +
              items.error().message());
    return false;
  }
  auto set = parse_row(row, std::move(*items));
  if (!set) {
    log::warn("dht: the records under " + row.short_hex() + " name another key");
    return true;  // a row no set of ours is stored under
  }
  index_records(*set);
  return true;
}

void ReplicaStore::reindex_stored(const RecordKey& rk) {
  auto set = stored_records(rk.first, rk.second);
  if (!set) {
    log::warn("dht: cannot read the records of " + rk.second.short_hex() + ": " +
              set.error().message());
    return unindex(rk.first, RecordSet::key_for(rk.first, rk.second));
  }
  index_records(*set);
}

void ReplicaStore::post(std::function<void()> fn) {
  disk_.post([alive = std::weak_ptr<char>(alive_), fn = std::move(fn)] {
    if (!alive.expired()) fn();
  });
}

// ---- writes ----

void ReplicaStore::put_block(const Id256& id, Bytes bytes, Done done) {
  auto answer = [this, &done](Status st) {
    post([done = std::move(done), st = std::move(st)] { done(st); });
  };
  if (bytes.size() > kMaxBlockSize) return answer(fail(Errc::too_big, "block " + id.short_hex()));
  note_put(id);
  bool in_memory = mem_blocks_.count(id) > 0;
  // Held and committed: nothing to check or write, whatever the sender's bytes (a mount that
  // rewrites a block it wrote before, a repeated upload).
  if (!in_memory && contains(KeyKind::block, id)) return answer({});
  if (!in_memory && !erasing_.count(id)) {
    if (auto stored = store_.contains(id); stored.ok() && *stored) {
      // On disk already, not indexed: the hosting mount wrote it to the shared store and now
      // uploads it here. We hold the block whatever the sender's bytes are: no hash, no write.
      index_stored_block(id, bytes.size());
      return answer({});
    }
  }
  if (!block_id_matches(id, bytes))
    return answer(fail(Errc::corrupt, "block " + id.short_hex() + " does not hash to its id"));
  if (auto m = mem_blocks_.find(id); m != mem_blocks_.end())
    return wait_for(m->second.batch, std::move(done));  // accepted before, not on disk yet
  if (contains(KeyKind::block, id)) return answer({});
  Status room = room_for_block(bytes.size());
  refusing_blocks_ = !room;
  if (!room) return answer(room);
  pending_.bytes += bytes.size();
  block_bytes_ += bytes.size();
  mem_blocks_[id] = MemBlock{std::make_shared<const Bytes>(std::move(bytes)), pending_.seq};
  pending_.blocks.push_back(id);
  pending_.waiters.push_back(std::move(done));
  index_block(id);
  write_pending();
}

uint64_t ReplicaStore::record_reserve(uint64_t total) {
  return std::clamp<uint64_t>(total / 64, 64 << 10, 64 << 20);
}

Status ReplicaStore::room_for_block(size_t bytes) {
  // Asking the store costs a statvfs, and for a bounded or nearly full LMDB a read of its free
  // list: so the last answer is used while what was taken since surely fits and is under a
  // 16th of it (other writers of the store, a mount, use space too), and asked again before a
  // refusal. Counted by bytes, not time, so the simulator stays deterministic.
  auto fits = [&] {
    return room_.total == StoreSpace::kUnbounded ||
           room_.free >= room_used_ + bytes + record_reserve(room_.total);
  };
  if (room_known_ && fits() && room_taken_ + bytes <= room_.free / 16) {
    room_used_ += bytes;
    room_taken_ += bytes;
    return {};
  }
  auto room = store_.space();
  if (!room) return {};  // the store's own check at write time decides
  room_ = *room;
  room_known_ = true;
  room_taken_ = 0;
  // What was taken and is not on disk yet is not in the answer: it counts as used already.
  room_used_ = pending_.bytes;
  for (auto& b : writing_) room_used_ += b.bytes;
  if (fits()) {
    room_used_ += bytes;
    return {};
  }
  return fail(Errc::no_space, "store full for new copies: " + std::to_string(room_.free >> 10) +
                                  " KiB free, of which " +
                                  std::to_string(record_reserve(room_.total) >> 10) +
                                  " KiB are kept for records (claims, cancels, heads)");
}

void ReplicaStore::adopt_stored_block(const Id256& id, size_t size, Done done) {
  auto answer = [this, &done](Status st) {
    post([done = std::move(done), st = std::move(st)] { done(st); });
  };
  note_put(id);
  if (mem_blocks_.count(id) || contains(KeyKind::block, id)) return answer({});
  if (erasing_.count(id))
    return answer(fail(Errc::unavailable, "block " + id.short_hex() + " is being dropped"));
  if (size == 0) {
    Status st = store_.view(id, [&](ByteView b) {
      size = b.size();
      return Status();
    });
    if (!st) return answer(st);
  }
  index_stored_block(id, size);
  answer({});
}

void ReplicaStore::index_stored_block(const Id256& id, size_t size) {
  block_bytes_ += size;
  index_block(id);
}

void ReplicaStore::put_records(KeyKind kind, const Id256& owner, const std::vector<Bytes>& records,
                               std::function<void(Result<bool>)> done) {
  auto answer = [this, &done](Result<bool> r) {
    post([done = std::move(done), r = std::move(r)] { done(r); });
  };
  if (!is_record_kind(kind)) return answer(fail(Errc::invalid, "not a record kind"));
  RecordKey rk{kind, owner};
  auto mem = mem_records_.find(rk);
  std::optional<RecordSet> held;
  if (mem != mem_records_.end()) {
    held = mem->second.set;
  } else if (kind == KeyKind::claims && rows_indexed_ &&
             !claimed_.count(RecordSet::key_for(kind, owner))) {
    held = RecordSet(kind, owner);  // the first claims of a block: no row holds any
  } else {
    auto stored = stored_records(kind, owner);
    if (!stored) return answer(stored.error());
    held = std::move(*stored);
  }
  RecordSet& set = *held;
  bool changed = false;
  size_t valid = 0;
  Error last;
  for (auto& b : records) {
    auto added = set.add(b);
    if (!added) {
      last = added.error();
      continue;
    }
    ++valid;
    changed |= *added;
  }
  if (valid == 0 && !records.empty()) return answer(last);
  auto as_changed = [done = std::move(done), changed](Status st) {
    done(st ? Result<bool>(changed) : Result<bool>(st.error()));
  };
  if (!changed) {
    // Nothing new, but what we hold may not be on disk yet: answer when it is.
    if (mem != mem_records_.end()) return wait_for(mem->second.batch, std::move(as_changed));
    return post([as_changed = std::move(as_changed)] { as_changed({}); });
  }
  index_records(set);
  if (mem == mem_records_.end() || mem->second.batch != pending_.seq)
    pending_.records.push_back(rk);
  mem_records_.insert_or_assign(rk, MemRecords{std::move(set), pending_.seq});
  pending_.waiters.push_back(std::move(as_changed));
  write_pending();
}

void ReplicaStore::wait_for(uint64_t batch, Done done) {
  if (pending_.seq == batch) return pending_.waiters.push_back(std::move(done));
  auto it = std::find_if(writing_.begin(), writing_.end(),
                         [batch](const Batch& b) { return b.seq == batch; });
  assert(it != writing_.end());  // a key in memory belongs to a batch not yet committed
  it->waiters.push_back(std::move(done));
}

void ReplicaStore::drain(std::function<void()> done) {
  if (writing_.empty() && pending_.waiters.empty()) return post(std::move(done));
  drained_.push_back(std::move(done));
}

void ReplicaStore::forget_blocks(const std::vector<Id256>& ids,
                                 std::shared_ptr<const WriteMark> guard,
                                 std::function<void(std::vector<Id256>)> done) {
  // One guard a batch: erases judged under another one go in a batch of their own.
  if (!pending_.erased.empty() && pending_.erase_guard != guard) write_pending(/*now=*/true);
  std::vector<Id256> dropped;
  for (auto& id : ids) {
    if (mem_blocks_.count(id)) continue;  // a peer just stored it: not ours to drop now
    size_t size = 0;
    if (!store_
             .view(id,
                   [&](ByteView b) {
                     size = b.size();
                     return Status();
                   })
             .ok())
      continue;
    if (contains(KeyKind::block, id)) {
      unindex(KeyKind::block, id);
      block_bytes_ -= std::min<uint64_t>(block_bytes_, size);
    }
    pending_.erased.push_back(id);
    erasing_.insert(id);
    dropped.push_back(id);
  }
  if (dropped.empty()) return post([done = std::move(done)] { done({}); });
  pending_.erase_guard = std::move(guard);
  // After committed() indexed again what the erase skipped or a failure left.
  pending_.waiters.push_back([this, done = std::move(done), dropped](Status st) {
    std::vector<Id256> gone;
    if (st)
      for (auto& id : dropped)
        if (!contains(KeyKind::block, id)) gone.push_back(id);
    done(std::move(gone));
  });
  write_pending();
}

void ReplicaStore::forget_records(KeyKind kind, const std::vector<Id256>& owners,
                                  std::function<void(std::vector<Id256>)> done) {
  std::vector<Id256> dropped;
  for (auto& owner : owners) {
    RecordKey rk{kind, owner};
    if (!is_record_kind(kind) || mem_records_.count(rk)) continue;  // a change on its way stays
    if (!contains(kind, RecordSet::key_for(kind, owner))) continue;
    unindex(kind, RecordSet::key_for(kind, owner));
    mem_records_.insert_or_assign(rk, MemRecords{RecordSet(kind, owner), pending_.seq});
    pending_.records.push_back(rk);
    dropped.push_back(owner);
  }
  if (dropped.empty()) return post([done = std::move(done)] { done({}); });
  // A failed batch indexed them again (committed(): back to what the disk holds).
  pending_.waiters.push_back(
      [done = std::move(done), dropped](Status st) { done(st ? dropped : std::vector<Id256>{}); });
  write_pending();
}

void ReplicaStore::write_pending(bool now) {
  // Group commit: while a batch is being written the next one accumulates, unless it grows big.
  if (pending_.waiters.empty() || (!now && !writing_.empty() && pending_.bytes < kBatchBytes))
    return;
  // Not durable (in LmdbStore: MDB_NOMETASYNC, one sync per commit instead of two): once the
  // transaction commits the block survives a crash of this process, which is when a replica may
  // ack. A power cut may forget the last commits (never corrupt the store); copies on the other
  // replicas, quorum writes and repair cover that.
  DiskBatch batch(/*durable=*/false);
  for (auto& id : pending_.erased) batch.add_erase(id);  // before the puts: a re-put id stays
  batch.guard_erases(pending_.erase_guard);
  for (auto& id : pending_.blocks) batch.add_block(id, mem_blocks_.at(id).data);
  for (auto& rk : pending_.records) {
    auto& set = mem_records_.at(rk).set;
    batch.add_heads(row_key(rk.first, rk.second), row_value(set));
  }
  uint64_t seq = pending_.seq;
  writing_.push_back(std::move(pending_));
  pending_ = Batch{.seq = seq + 1};
  disk_.write(std::move(batch), [this, alive = std::weak_ptr<char>(alive_), seq](Status st) {
    if (!alive.expired()) committed(seq, st);
  });
}

void ReplicaStore::committed(uint64_t seq, const Status& st) {
  auto it = std::find_if(writing_.begin(), writing_.end(),
                         [seq](const Batch& b) { return b.seq == seq; });
  if (it == writing_.end()) return;
  Batch done = std::move(*it);
  writing_.erase(it);
  for (auto& id : done.erased) {
    erasing_.erase(id);
    // Still there: another writer of the store wrote it after the guard (the erase skipped
    // it), or the commit failed. It is held again, as before forget_blocks.
    if (contains(KeyKind::block, id) || mem_blocks_.count(id)) continue;
    size_t size = 0;
    Status there = store_.view(id, [&](ByteView b) {
      size = b.size();
      return Status();
    });
    if (there) index_stored_block(id, size);
  }
  if (!st)
    log::warn("dht: cannot store " + std::to_string(done.blocks.size()) + " blocks and " +
              std::to_string(done.records.size()) + " record sets: " + st.error().message());
  // From now on the store serves what the batch wrote; a key a later batch rewrites stays.
  for (auto& id : done.blocks) {
    auto m = mem_blocks_.find(id);
    if (m == mem_blocks_.end() || m->second.batch != seq) continue;
    if (!st) {
      block_bytes_ -= m->second.data->size();
      unindex(KeyKind::block, id);
    }
    mem_blocks_.erase(m);
  }
  for (auto& rk : done.records) {
    auto m = mem_records_.find(rk);
    if (m == mem_records_.end() || m->second.batch != seq) continue;
    mem_records_.erase(m);
    if (!st) reindex_stored(rk);  // back to what the disk holds
  }
  write_pending();
  for (auto& w : done.waiters) w(st);
  if (writing_.empty() && pending_.waiters.empty())
    for (auto& d : std::exchange(drained_, {})) d();
}

// ---- reads ----

Result<Bytes> ReplicaStore::get_block(const Id256& id) {
  if (auto m = mem_blocks_.find(id); m != mem_blocks_.end()) return *m->second.data;
  return store_.get(id);
}

Result<std::vector<Bytes>> ReplicaStore::get_records(KeyKind kind, const Id256& owner) const {
  if (!is_record_kind(kind)) return fail(Errc::invalid, "not a record kind");
  if (auto m = mem_records_.find({kind, owner}); m != mem_records_.end())
    return m->second.set.encoded();
  if (kind == KeyKind::heads) return store_.heads(owner);  // stored as they are sent
  PS_ASSIGN(auto set, stored_records(kind, owner));
  return set.encoded();
}

Result<ClaimSet> ReplicaStore::claims_of(const Id256& block) const {
  if (!claimed_.count(block)) return ClaimSet();
  PS_ASSIGN(auto records, get_records(KeyKind::claims, block));
  ClaimSet set;
  set.add_trusted(records);
  return set;
}

bool ReplicaStore::released(const Id256& block) const {
  return released_.count(block) > 0;
}

void ReplicaStore::note_put(const Id256& id) {
  if (!claimed_.count(id) || puts_of_claimed_.all) return;
  if (puts_of_claimed_.ids.size() >= kMaxPuts) {
    puts_of_claimed_ = PutsOfClaimed{{}, true};
    return;
  }
  puts_of_claimed_.ids.push_back(id);
}

ReplicaStore::PutsOfClaimed ReplicaStore::take_puts_of_claimed() {
  return std::exchange(puts_of_claimed_, PutsOfClaimed{});
}

ReplicaStore::PutsOfClaimed ReplicaStore::take_claims_changed() {
  return std::exchange(claims_changed_, PutsOfClaimed{});
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
