// EpochSwitch: what a member's mount does when a share it shows moves to the volume's next epoch
// (the owner revoked someone: docs/sharing.md, Revoke). The owner's mount held its own changes
// while it copied the folder, but a member (or another computer of the owner) may have written
// to the old volume after the version the copy was made from. Before the share receiver
// replaces the link, this retires the old volume in the mount (changes to it answer ESTALE
// from then on, and what was written is committed) and tells whether this computer wrote
// versions the copy does not hold; the receiver then keeps the old volume in view beside the
// new one, so that nothing written is lost from sight. Only this computer's own versions
// count: the revoked user's later versions must not come back into the folder.
// Thread-safe as far as its callers go: the receiver's thread calls it.
#pragma once

#include <atomic>

#include "fs/mount_tree.h"
#include "keys/grant.h"
#include "store/local_store.h"

namespace peerstore::host {

class EpochSwitch {
 public:
  // `store` must outlive it; `device`: this computer's key (the one its heads name).
  EpochSwitch(LocalStore& store, PublicKey device) : store_(store), device_(device) {}
  // The mount's tree, once it exists (null: nothing to retire).
  void set_tree(MountTree* tree) { tree_.store(tree); }

  // True when this computer wrote versions of `old` that the copy into `next` does not hold
  // (or when that cannot be told: the old volume stays in view rather than risk a loss).
  bool unsaved(const GrantContent& old, const GrantContent& next);

 private:
  LocalStore& store_;
  PublicKey device_;
  std::atomic<MountTree*> tree_{nullptr};
};

}  // namespace peerstore::host
