// MountTree's record of one linked volume open in the tree: shared by mount_tree.cc (routing)
// and mount_tree_epochs.cc (a shared volume's epochs: hold, retire, supersede). Private to them.
#pragma once

#include <atomic>
#include <shared_mutex>

#include "fs/mount_tree.h"

namespace peerstore {

struct MountTree::Linked {
  VolumeId id;
  std::shared_ptr<const Secret> link;  // what it was opened from
  std::unique_ptr<FileSystem> fs;      // null once the tree closed
  bool writable = true;                // false: a read-only member's view (EROFS)
  uint64_t salt = 0;                   // from the id: numbers differ between volumes
  Id256 lineage;                       // the shared folder's, across its epochs
  uint64_t epoch = 0;
  uint64_t shown_at = 0;             // the kernel number of the link it shows at; 0: none now
  std::shared_mutex gate;            // changes take it shared; hold_changes() alone
  std::atomic<bool> retired{false};  // its link moved to a newer epoch: ESTALE
  std::atomic<int> writers{0};       // handles open for writing
};

}  // namespace peerstore
