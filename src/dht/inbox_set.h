// InboxSet: the grants addressed to one user, the record a storage node keeps at the user's
// inbox key BLAKE2b("inbox" || user public key) (docs/sharing.md, Grants travel through
// inboxes). It accepts only grants to that user whose grantor's signature verifies and whose
// encoding is at most Grant::kMaxEncoded bytes. One grant per (grantor, slot): the newer one,
// by (epoch, time, hash), replaces the other, a withdrawal included. Bounded: at most
// kMaxPerGrantor slots per grantor and kMaxGrants in all; past a cap the newest grants in the
// same order are kept. The set is a pure function of the grants it was given, whatever their
// order, so replicas that exchange their grants converge. Value type; not synchronized.
#pragma once

#include <vector>

#include "keys/grant.h"

namespace peerstore {

class InboxSet {
 public:
  static constexpr size_t kMaxGrants = 256;
  static constexpr size_t kMaxPerGrantor = 16;

  explicit InboxSet(const PublicKey& user) : user_(user) {}

  static Id256 key_for(const PublicKey& user);
  // Decodes and verifies one grant to `user`; Errc::corrupt for bad bytes, a grant to someone
  // else, or a signature that does not verify.
  static Result<Grant> check(const PublicKey& user, ByteView encoded);

  // Adds a checked grant. True if the set changed (the grant is in it now).
  bool add(const Grant& grant);
  // Adds encoded grants that were checked before (a node's own store); skips bad ones.
  void add_trusted(const std::vector<Bytes>& encoded);

  const PublicKey& user() const { return user_; }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  // Encoded grants, sorted by hash (a canonical order).
  std::vector<Bytes> encoded() const;
  // Identifies the set's content: BLAKE2b over the sorted grant hashes.
  Id256 digest() const;

 private:
  struct Item {
    Id256 hash;
    Grant grant;
    Bytes bytes;
  };
  // True if a should be kept over b where only one can stay.
  static bool newer(const Item& a, const Item& b);

  PublicKey user_;
  std::vector<Item> items_;  // sorted by hash
};

}  // namespace peerstore
