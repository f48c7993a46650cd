#include "dht/head_watch.h"

#include <algorithm>

namespace peerstore {

void HeadWatch::sweep(int64_t now_ms) {
  for (auto it = watchers_.begin(); it != watchers_.end();) {
    std::erase_if(it->second, [&](const Watcher& w) { return w.expires_ms <= now_ms; });
    it = it->second.empty() ? watchers_.erase(it) : std::next(it);
  }
}

bool HeadWatch::add_watcher(const Id256& volume, const NodeRef& who, int64_t now_ms) {
  auto it = watchers_.find(volume);
  if (it == watchers_.end()) {
    if (watchers_.size() >= kMaxVolumes) sweep(now_ms);
    if (watchers_.size() >= kMaxVolumes) return false;
    it = watchers_.emplace(volume, std::vector<Watcher>()).first;
  }
  auto& list = it->second;
  for (auto& w : list)
    if (w.node.id == who.id) {
      w.node = who;  // the same device at a new address
      w.expires_ms = now_ms + kTtlMs;
      return true;
    }
  std::erase_if(list, [&](const Watcher& w) { return w.expires_ms <= now_ms; });
  if (list.size() >= kMaxPerVolume) return false;
  list.push_back({who, now_ms + kTtlMs});
  return true;
}

std::vector<NodeRef> HeadWatch::watchers(const Id256& volume, int64_t now_ms) {
  std::vector<NodeRef> out;
  auto it = watchers_.find(volume);
  if (it == watchers_.end()) return out;
  std::erase_if(it->second, [&](const Watcher& w) { return w.expires_ms <= now_ms; });
  for (auto& w : it->second) out.push_back(w.node);
  if (it->second.empty()) watchers_.erase(it);
  return out;
}

void HeadWatch::watch(const Id256& volume, std::function<void()> changed) {
  mine_[volume] = std::move(changed);
}

std::vector<Id256> HeadWatch::watching() const {
  std::vector<Id256> out;
  for (auto& [v, fn] : mine_) out.push_back(v);
  return out;
}

bool HeadWatch::changed(const Id256& volume) {
  auto it = mine_.find(volume);
  if (it == mine_.end()) return false;
  if (it->second) it->second();
  return true;
}

}  // namespace peerstore
