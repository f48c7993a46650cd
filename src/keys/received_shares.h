// ReceivedShares: what a user's computer makes of the grants in the user's inbox
// (docs/sharing.md, Receiving): the shares its mounts show under /shared. Each read of the inbox
// is merged in with update(): every grant is verified and opened with the user's key, and per
// (grantor, slot) the newest grant ever accepted, by (epoch, time, hash) as storage nodes order
// them, decides:
// - a share appears with a grant, changes with a newer one (a new epoch after a revoke rotated
//   the keys, a renamed folder, write access given or taken), and goes with a withdrawal;
// - it never goes back: a grant older than the newest accepted for its slot (a storage node
//   replaying it, a rolled-back inbox) is ignored, so a revoked epoch's keys never return;
// - a slot missing from a read (an inbox a storage node dropped, trimmed or has not repaired
//   yet) keeps its share: only a withdrawal removes one.
// Grants that fail verification or do not open with the user's key are counted and skipped.
// Holds keys: the shares' secrets are wiped when they go. Not synchronized.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "keys/grant.h"

namespace peerstore {

class ReceivedShares {
 public:
  using SlotKey = std::pair<PublicKey, Id256>;  // grantor, slot

  struct Change {
    enum class Kind { added, changed, removed };
    Kind kind;
    SlotKey slot;
    bool operator==(const Change&) const = default;
  };

  // `user` must outlive this object.
  explicit ReceivedShares(const SigningKey& user) : user_(user) {}

  // Merges the encoded grants of one read of the user's inbox; returns what changed, in slot
  // order.
  std::vector<Change> update(const std::vector<Bytes>& grants);

  // The current shares, by slot.
  const std::map<SlotKey, GrantContent>& shares() const { return shares_; }
  // Grants skipped so far: bad signature, another recipient, not sealed to this user, content
  // that contradicts its envelope, undecodable bytes.
  uint64_t rejected() const { return rejected_; }

 private:
  struct Newest {
    uint64_t epoch = 0;
    int64_t time_ns = 0;
    Id256 hash;
  };
  static bool newer(const Grant& g, const Id256& hash, const Newest& than);

  const SigningKey& user_;
  std::map<SlotKey, Newest> newest_;  // withdrawn slots included
  std::map<SlotKey, GrantContent> shares_;
  uint64_t rejected_ = 0;
};

}  // namespace peerstore
