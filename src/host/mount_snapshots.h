// MountSnapshots: what `.snapshots/` of a mount shows (fs/mount_tree.h, Snapshots): the
// versions of the home volume that retention keeps and those pinned (client/version_check.h,
// retained_history), named as `peerstore snapshots` names them (named_versions), each opened
// read-only (fs/version_view.h).
//
// Thread-safe: list() and open() run on FUSE threads. The history is walked in a Volume of
// its own (the mount's is its file system's), at most once a second: a listing right after a
// commit may miss that commit for a second.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>

#include "fs/mount_tree.h"
#include "fs/pins.h"
#include "fs/retention.h"

namespace peerstore::host {

class MountSnapshots : public MountTree::Snapshots {
 public:
  // The pins of the home volume as the mount sees them now (fs/pins.h, read_pins).
  using PinSource = std::function<std::vector<Pin>()>;
  // How far space pressure thinned retention (RetentionFloor::floor_ns).
  using FloorSource = std::function<int64_t()>;
  // `store` must outlive this; `keys`: the home volume's. `pins` and `floor` may be null.
  MountSnapshots(LocalStore& store, VolumeKeys keys, PublicKey device, RetentionPolicy policy,
                 PinSource pins = nullptr, FloorSource floor = nullptr);

  std::vector<Entry> list() override;
  Result<std::unique_ptr<FileSystem>> open(const Id256& head) override;

 private:
  // Under mu_: walks the history again when the last walk is a second old.
  void refresh();

  LocalStore& store_;
  const VolumeKeys keys_;
  const PublicKey device_;
  const RetentionPolicy policy_;
  const PinSource pins_;
  const FloorSource floor_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point walked_{};
  bool fresh_ = false;
  std::vector<Head> heads_;  // newest first
  std::vector<Entry> entries_;
};

}  // namespace peerstore::host
