#include "dht/block_release.h"

#include <vector>

namespace peerstore {

void BlockRelease::sweep(int64_t now_ms) {
  // A released block put again since the last sweep: its writer wrote it anew and its claim is
  // on the way, so its grace starts again from now.
  auto puts = store_.take_puts_of_claimed();
  if (puts.all) waiting_.clear();
  for (const Id256& id : puts.ids) waiting_.erase(id);
  std::vector<Id256> due;
  std::unordered_map<Id256, Waiting, Id256Hash> still;
  uint64_t bytes = 0;
  for (const Id256& id : store_.claimed()) {
    if (!store_.contains(KeyKind::block, id) || !store_.released(id)) continue;
    auto it = waiting_.find(id);
    Waiting w = it != waiting_.end() ? it->second : Waiting{now_ms, 0};
    if (it == waiting_.end())
      if (auto data = store_.get_block(id)) w.bytes = data->size();
    if (now_ms - w.since >= grace_ms_) {
      due.push_back(id);
    } else {
      bytes += w.bytes;
      still.emplace(id, w);
    }
  }
  waiting_ = std::move(still);
  stats_->waiting = waiting_.size();
  stats_->waiting_bytes = bytes;
  if (due.empty()) return;
  store_.forget_blocks(
      due, [stats = stats_](std::vector<Id256> erased) { stats->released += erased.size(); });
}

}  // namespace peerstore
