#include "dht/block_release.h"

#include <vector>

namespace peerstore {

void BlockRelease::sweep(int64_t now_ms) {
  std::vector<Id256> due;
  std::unordered_map<Id256, int64_t, Id256Hash> still;
  for (const Id256& id : store_.claimed()) {
    if (!store_.contains(KeyKind::block, id) || !store_.released(id)) continue;
    auto it = since_.find(id);
    int64_t since = it == since_.end() ? now_ms : it->second;
    if (now_ms - since >= grace_ms_)
      due.push_back(id);
    else
      still.emplace(id, since);
  }
  since_ = std::move(still);
  stats_->waiting = since_.size();
  if (due.empty()) return;
  store_.forget_blocks(
      due, [stats = stats_](std::vector<Id256> erased) { stats->released += erased.size(); });
}

}  // namespace peerstore
