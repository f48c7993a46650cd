// HeadWatch: who wants to hear that a record set changed (a volume's heads, a user's inbox), so
// that a mount learns of another computer's commit, or of a new share, at once instead of at its
// next poll. Record sets are named by their DHT key (the "volume" of the names below). A storage
// node keeps, per key, the nodes that asked (watch_heads), each until kTtlMs after its last
// request and at most kMaxPerVolume per key and kMaxVolumes keys; a node hosting a mount keeps
// the keys it watches and what to call when one changes. Protocol state only: the ChordNode
// sends and answers the messages. Loop thread only.
#pragma once

#include <functional>
#include <map>
#include <vector>

#include "dht/node_ref.h"

namespace peerstore {

class HeadWatch {
 public:
  static constexpr int64_t kTtlMs = 60000;  // a watcher renews well within this
  static constexpr int64_t kRenewMs = 20000;
  static constexpr size_t kMaxPerVolume = 64;  // computers of one user or members of a share
  static constexpr size_t kMaxVolumes = 100000;

  // Storage side. False when the volume already has kMaxPerVolume other watchers, or the node
  // watches kMaxVolumes volumes (a watcher then finds out by polling, as without a watch).
  bool add_watcher(const Id256& volume, const NodeRef& who, int64_t now_ms);
  // The live watchers of a volume; drops the expired.
  std::vector<NodeRef> watchers(const Id256& volume, int64_t now_ms);
  size_t watched_volumes() const { return watchers_.size(); }

  // Watching side.
  void watch(const Id256& volume, std::function<void()> changed);
  std::vector<Id256> watching() const;
  // A replica says the volume's head set changed: calls its callback; false if not watched.
  bool changed(const Id256& volume);

 private:
  struct Watcher {
    NodeRef node;
    int64_t expires_ms;
  };
  void sweep(int64_t now_ms);

  std::map<Id256, std::vector<Watcher>> watchers_;
  std::map<Id256, std::function<void()>> mine_;
};

}  // namespace peerstore
