#include "dht/block_release.h"

#include <algorithm>
#include <vector>

namespace peerstore {

void BlockRelease::sweep(int64_t now_ms, bool lone) {
  // A released block put again since the last sweep: its writer wrote it anew and its claim is
  // on the way, so its grace starts again from now.
  auto puts = store_.take_puts_of_claimed();
  if (puts.all) waiting_.clear();
  for (const Id256& id : puts.ids) waiting_.erase(id);
  // The blocks due, by the mark their grace began with: one erase each.
  std::vector<std::pair<std::shared_ptr<const WriteMark>, std::vector<Id256>>> due;
  std::unordered_map<Id256, Waiting, Id256Hash> still;
  std::shared_ptr<const WriteMark> now_mark;  // taken once, for the graces beginning now
  uint64_t bytes = 0;
  for (const Id256& id : store_.claimed()) {
    if (!store_.contains(KeyKind::block, id) || !store_.released(id)) continue;
    auto it = waiting_.find(id);
    Waiting w;
    if (it != waiting_.end()) {
      w = it->second;
      w.lone = w.lone && lone;
    } else {
      if (!now_mark) now_mark = store_.write_mark();
      w = Waiting{now_ms, 0, lone, now_mark};
      if (auto data = store_.get_block(id)) w.bytes = data->size();
    }
    if (now_ms - w.since >= (w.lone ? lone_grace_ms_ : grace_ms_)) {
      auto group = std::find_if(due.begin(), due.end(), [&](auto& g) { return g.first == w.mark; });
      if (group == due.end()) group = due.insert(due.end(), {w.mark, {}});
      group->second.push_back(id);
    } else {
      bytes += w.bytes;
      still.emplace(id, w);
    }
  }
  waiting_ = std::move(still);
  stats_->waiting = waiting_.size();
  stats_->waiting_bytes = bytes;
  for (auto& [mark, ids] : due)
    store_.forget_blocks(ids, mark, [stats = stats_](std::vector<Id256> erased) {
      stats->released += erased.size();
    });
}

}  // namespace peerstore
