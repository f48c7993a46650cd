// MountTree's record of one linked volume open in the tree: shared by mount_tree.cc (routing),
// mount_tree_epochs.cc (a shared volume's epochs: hold, retire, supersede) and
// mount_tree_snapshots.cc (past versions under .snapshots/, opened the same way, read-only).
// Private to them.
#pragma once

#include <atomic>
#include <shared_mutex>

#include "fs/mount_tree.h"

namespace peerstore {

namespace mount_tree_numbers {
inline constexpr uint64_t kHigh = uint64_t(1) << 63;
// SplitMix64's finalizer: a bijection of 64-bit numbers that scatters neighbours.
inline uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}
}  // namespace mount_tree_numbers

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
  bool snapshot = false;             // a past version of the home volume, under .snapshots/
};

}  // namespace peerstore
