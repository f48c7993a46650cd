// CollectingStore: a LocalStore in front of another that several writers share, through which
// blocks are erased while others go on writing (docs/lifecycle.md, Local collection). It keeps
// the write history that erases need: while any WriteMark it gave is held, it records the id of
// every block written through it. An erase guarded by a mark (a sweep, or a batch with
// WriteBatch::erase_guard) skips every block written after the mark, and is checked and
// written under the history's lock, so a concurrent write of the same id either is recorded
// first (the block is kept) or comes after the erase (and stores it again). So every writer of
// the inner store must write through this one. Thread-safe.
#pragma once

#include <deque>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "store/local_store.h"

namespace peerstore {

class CollectingStore final : public LocalStore {
 public:
  struct SweepStats {
    uint64_t erased = 0, erased_bytes = 0;
    uint64_t kept_written = 0;  // garbage by the caller's word, written after the mark
  };
  // Blocks erased per transaction, and at most how many are gathered per pass over the ids.
  static constexpr size_t kEraseBatch = 1000;
  static constexpr size_t kPass = size_t(1) << 16;
  // Writes recorded at most. Past it the older half is forgotten, and marks older than what
  // is left can no longer vouch for anything: the erases they guard erase nothing.
  static constexpr size_t kMaxRecorded = size_t(1) << 18;  // about 25 MiB

  explicit CollectingStore(LocalStore& inner, size_t max_recorded = kMaxRecorded);
  // A second front over another view of the same blocks (LmdbStore::with_heads_db): one write
  // history, so a mark of either guards erases through both.
  CollectingStore(LocalStore& inner, const CollectingStore& shares_history_with)
      : inner_(inner), history_(shares_history_with.history_) {}

  Result<Bytes> get(const BlockId& id) override { return inner_.get(id); }
  Result<bool> contains(const BlockId& id) override { return inner_.contains(id); }
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn) override {
    return inner_.view(id, fn);
  }
  Status read_part(const BlockId& id, size_t off, size_t len, uint8_t* out, size_t* size) override {
    return inner_.read_part(id, off, len, out, size);
  }
  const void* blocks_identity() const override { return inner_.blocks_identity(); }
  Status for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) override {
    return inner_.for_each_id(fn);
  }
  Result<std::vector<Bytes>> heads(const VolumeId& v) override { return inner_.heads(v); }
  Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) override {
    return inner_.for_each_volume(fn);
  }
  Result<StoreStats> stats() override { return inner_.stats(); }
  Result<StoreSpace> space() override { return inner_.space(); }
  // Records the batch's block ids while a mark is held, then writes it; a guarded erase
  // leaves out what was written after its mark.
  Status write(const WriteBatch& batch) override;
  std::shared_ptr<const WriteMark> write_mark() override;

  // Erases the blocks in the store for which `garbage(id)` is true, except those written after
  // `since` (a mark of this store; with any other, or one that can no longer vouch, it erases
  // nothing and counts them kept). A failed erase ends the sweep with its error; what was
  // erased stays erased (it was garbage).
  Result<SweepStats> sweep(const WriteMark& since,
                           const std::function<bool(const BlockId&)>& garbage);

  // Writes recorded now (tests: the history is bounded and dropped once no mark is held).
  size_t recorded() const;

 private:
  struct History;
  class Mark;
  // Whether `id` may be erased under `since`: `since` is this store's, can still vouch, and
  // no write of `id` came after it. Under history_->m.
  bool erasable(const Mark* since, const BlockId& id) const;
  const Mark* own(const WriteMark* mark) const;

  LocalStore& inner_;
  std::shared_ptr<History> history_;  // shared with the marks, which may outlive a write
};

}  // namespace peerstore
