// CollectingStore: a LocalStore in front of another, through which garbage is erased while
// others go on writing (docs/lifecycle.md, Local collection). While a collection is open it
// records the id of every block written through it: the write barrier. A sweep erases only
// blocks the caller calls garbage and no write recorded, in batches checked and erased under
// the barrier's lock, so a concurrent write of the same id either is recorded first (the
// block is kept) or comes after the erase (and stores it again). So every writer of the inner
// store must write through this one. Thread-safe.
#pragma once

#include <mutex>
#include <unordered_set>

#include "store/local_store.h"

namespace peerstore {

class CollectingStore final : public LocalStore {
 public:
  struct SweepStats {
    uint64_t erased = 0, erased_bytes = 0;
    uint64_t kept_written = 0;  // garbage by the caller's word, written since the collection opened
  };
  // Blocks erased per transaction, and at most how many are gathered per pass over the ids.
  static constexpr size_t kEraseBatch = 1000;
  static constexpr size_t kPass = size_t(1) << 16;

  explicit CollectingStore(LocalStore& inner) : inner_(inner) {}

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
  // Records the batch's block ids while a collection is open, then writes it.
  Status write(const WriteBatch& batch) override;

  // From now on, records the ids written (a second open starts the record anew).
  void open_collection();
  // Erases the blocks in the store for which `garbage(id)` is true, except those written since
  // open_collection(). Call between open_collection() and close_collection(). A failed erase
  // ends the sweep with its error; what was erased stays erased (it was garbage).
  Result<SweepStats> sweep(const std::function<bool(const BlockId&)>& garbage);
  // Stops recording and forgets the record.
  void close_collection();

 private:
  LocalStore& inner_;
  std::mutex mu_;  // the barrier's lock: guards open_ and written_, held across an erase
  bool open_ = false;
  std::unordered_set<BlockId, Id256Hash> written_;
};

}  // namespace peerstore
