// EpochSwitch: what a mount checks when it opens a shared volume's next epoch (the owner revoked
// someone: docs/sharing.md, Revoke). The owner's mount held its own changes while it copied the
// folder, but a member, or another computer of the owner, may have written to the old volume
// after the version the copy was made from, or may hold versions it never uploaded. The new
// volume's root names the old volume (its read-only keys) and the version copied; this tells
// whether this computer made versions of the old volume that the copy does not descend from.
// MountTree then keeps the old volume in view beside the new one, read-only, so nothing written
// is lost from sight. Only this computer's own versions count: the revoked user's later
// versions must never come back into the folder. Stateless apart from its store; any thread.
#pragma once

#include <optional>

#include "fs/file_system.h"
#include "keys/grant.h"

namespace peerstore::host {

class EpochSwitch {
 public:
  // `store` must outlive it; `device`: this computer's key (the one its heads name).
  EpochSwitch(LocalStore& store, PublicKey device) : store_(store), device_(device) {}

  // The old volume (read-only keys) when this computer holds versions of it that `next`'s
  // copy lacks; nullopt when it holds none, or never had the old volume.
  std::optional<GrantContent> unsaved(const GrantContent& next);

 private:
  LocalStore& store_;
  PublicKey device_;
};

}  // namespace peerstore::host
