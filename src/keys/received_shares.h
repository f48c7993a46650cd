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
#include <tuple>
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

  // Where a grant stands in its slot: storage nodes' order (epoch, then time, then hash).
  struct Order {
    uint64_t epoch = 0;
    int64_t time_ns = 0;
    Id256 hash;
    bool operator<(const Order& o) const {
      return std::tie(epoch, time_ns, hash) < std::tie(o.epoch, o.time_ns, o.hash);
    }
  };

  // The current shares, by slot.
  const std::map<SlotKey, GrantContent>& shares() const { return shares_; }
  // The newest grant accepted in `slot` (withdrawals too); null if none.
  const Order* order_of(const SlotKey& slot) const {
    auto it = newest_.find(slot);
    return it == newest_.end() ? nullptr : &it->second;
  }
  // What an earlier run accepted (kept by its caller): the slot's share and its grant's order,
  // so that no older grant is taken again and a later withdrawal finds it. Reports no change.
  void remember(const SlotKey& slot, const Order& order, GrantContent share) {
    newest_.insert_or_assign(slot, order);
    shares_.insert_or_assign(slot, std::move(share));
  }
  // A withdrawal an earlier run accepted: no grant older than `order` is taken in `slot` again.
  // Kept only if newer than what the slot holds; reports no change.
  void remember_withdrawn(const SlotKey& slot, const Order& order) {
    auto it = newest_.find(slot);
    if (it != newest_.end() && !(it->second < order)) return;
    newest_.insert_or_assign(slot, order);
    shares_.erase(slot);
  }
  // Grants skipped so far: bad signature, another recipient, not sealed to this user, content
  // that contradicts its envelope, undecodable bytes.
  uint64_t rejected() const { return rejected_; }

 private:
  static bool newer(const Grant& g, const Id256& hash, const Order& than);

  const SigningKey& user_;
  std::map<SlotKey, Order> newest_;  // withdrawn slots included
  std::map<SlotKey, GrantContent> shares_;
  uint64_t rejected_ = 0;
};

}  // namespace peerstore
