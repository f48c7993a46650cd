#include "dht/block_release.h"

#include <algorithm>
#include <iterator>
#include <vector>

namespace peerstore {

void BlockRelease::sweep(int64_t now_ms, bool lone) {
  // A released block put again since the last sweep: its writer wrote it anew and its claim is
  // on the way, so its grace starts again from now.
  auto puts = store_.take_puts_of_claimed();
  if (puts.all) waiting_.clear();
  for (const Id256& id : puts.ids) waiting_.erase(id);
  // Only a block whose claims changed, or that was put, can have become released; those in
  // their grace are looked at again. After an overflow (or at start), every claimed block.
  auto changed = store_.take_claims_changed();
  std::vector<Id256> candidates;
  if (changed.all || puts.all) {
    candidates.assign(store_.claimed().begin(), store_.claimed().end());
  } else {
    candidates = std::move(changed.ids);
    candidates.insert(candidates.end(), puts.ids.begin(), puts.ids.end());
    for (auto& [id, w] : waiting_) candidates.push_back(id);
    // An erase skips a block written after its mark, which stays, indexed again: looked at
    // again, it starts a new grace.
    candidates.insert(candidates.end(), erasing_.begin(), erasing_.end());
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
  }
  // The blocks due, by the mark their grace began with: one erase each.
  std::vector<std::pair<std::shared_ptr<const WriteMark>, std::vector<Id256>>> due;
  std::unordered_map<Id256, Waiting, Id256Hash> still;
  std::shared_ptr<const WriteMark> now_mark;  // taken once, for the graces beginning now
  uint64_t bytes = 0;
  for (const Id256& id : candidates) {
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
  erasing_.clear();
  for (auto& [mark, ids] : due) erasing_.insert(erasing_.end(), ids.begin(), ids.end());
  stats_->waiting = waiting_.size();
  stats_->waiting_bytes = bytes;
  for (auto& [mark, ids] : due)
    store_.forget_blocks(ids, mark, [stats = stats_](std::vector<Id256> erased) {
      stats->released += erased.size();
    });
  scan_tombstones(now_ms, lone);
}

void BlockRelease::scan_tombstones(int64_t now_ms, bool lone) {
  int64_t horizon = lone ? lone_horizon_ms_ : horizon_ms_;
  if (horizon < 0 || (scanned_ && now_ms - scanned_at_ < horizon)) return;
  // Held blocks are skipped before their claims are read: a scan reads tombstones only.
  std::vector<Id256> found;
  for (const Id256& id : store_.claimed())
    if (!store_.contains(KeyKind::block, id) && !waiting_.count(id) && store_.tombstone(id))
      found.push_back(id);
  std::vector<Id256> old;  // tombstones at both scans, a horizon apart
  std::set_intersection(tombstones_.begin(), tombstones_.end(), found.begin(), found.end(),
                        std::back_inserter(old));
  std::vector<Id256> young;
  std::set_difference(found.begin(), found.end(), old.begin(), old.end(),
                      std::back_inserter(young));
  tombstones_ = std::move(young);
  scanned_at_ = now_ms;
  scanned_ = true;
  if (old.empty()) return;
  store_.forget_records(KeyKind::claims, old, [stats = stats_](std::vector<Id256> dropped) {
    stats->tombstones_dropped += dropped.size();
  });
}

}  // namespace peerstore
