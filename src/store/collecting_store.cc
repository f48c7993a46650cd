#include "store/collecting_store.h"

#include <algorithm>

namespace peerstore {

Status CollectingStore::write(const WriteBatch& batch) {
  {
    std::lock_guard lock(mu_);
    if (open_)
      for (const BlockRecord& b : batch.blocks) written_.insert(b.id);
  }
  // Outside the lock: a sweep's erase that runs meanwhile has checked the record after the
  // insert above, so it leaves these ids alone.
  return inner_.write(batch);
}

void CollectingStore::open_collection() {
  std::lock_guard lock(mu_);
  open_ = true;
  written_.clear();
}

void CollectingStore::close_collection() {
  std::lock_guard lock(mu_);
  open_ = false;
  written_ = {};
}

Result<CollectingStore::SweepStats> CollectingStore::sweep(
    const std::function<bool(const BlockId&)>& garbage) {
  SweepStats stats;
  std::unordered_set<BlockId, Id256Hash> kept;  // garbage, but written since the open
  for (;;) {
    // Gather a pass of candidates first: the store's iteration holds a read transaction, and
    // erasing inside it is not something every store allows.
    std::vector<std::pair<BlockId, size_t>> found;
    PS_TRY(inner_.for_each_id([&](const BlockId& id, size_t size) {
      if (!kept.contains(id) && garbage(id)) found.emplace_back(id, size);
      return found.size() < kPass;
    }));
    for (size_t at = 0; at < found.size(); at += kEraseBatch) {
      WriteBatch erase;
      erase.durable = false;  // garbage coming back after a power cut is harmless
      uint64_t bytes = 0;
      std::lock_guard lock(mu_);
      for (size_t i = at; i < std::min(found.size(), at + kEraseBatch); ++i) {
        if (written_.contains(found[i].first)) {
          kept.insert(found[i].first);
          ++stats.kept_written;
          continue;
        }
        erase.erase.push_back(found[i].first);
        bytes += found[i].second;
      }
      if (erase.erase.empty()) continue;
      PS_TRY(inner_.write(erase));
      stats.erased += erase.erase.size();
      stats.erased_bytes += bytes;
    }
    if (found.size() < kPass) return stats;
  }
}

}  // namespace peerstore
