// RecordSet: a mergeable record set a DHT node stores at one key, of one of the record kinds:
//   KeyKind::heads   a volume's HeadSet (signed heads), owner = the volume's public key
//   KeyKind::inbox   a user's InboxSet (signed grants to the user), owner = the user's public key
//   KeyKind::claims  a block's ClaimSet (claims that prove their cancels), owner = the block id,
//                    at the block's own key, so its replicas are the block's
// What stores, reads, repairs and hands off records (ReplicaStore, ChordNode, KeyTransfer) goes
// through this one type, so the kinds share every path and a new kind is one more case here.
// Value type; not synchronized.
#pragma once

#include <variant>
#include <vector>

#include "dht/claim_set.h"
#include "dht/head_set.h"
#include "dht/inbox_set.h"

namespace peerstore {

// A full inbox, and a block's full claim set, fit one records message.
static_assert(ClaimSet::kMaxClaims <= kMaxRecordsPerMessage);
static_assert(InboxSet::kMaxGrants <= kMaxRecordsPerMessage);
static_assert(InboxSet::kMaxGrants * (Grant::kMaxEncoded + 8) <= kMaxMessageSize - 4096);

class RecordSet {
 public:
  // `kind` must be a record kind (is_record).
  RecordSet(KeyKind kind, const Id256& owner);

  static bool is_record(KeyKind kind) { return is_record_kind(kind); }
  // The DHT key of the owner's record of this kind.
  static Id256 key_for(KeyKind kind, const Id256& owner);
  // Errc::corrupt unless `encoded` is a record of this kind for this owner that verifies.
  static Status check(KeyKind kind, const Id256& owner, ByteView encoded);

  // Checks one encoded record and merges it. True if the set changed; Errc::corrupt (the set
  // unchanged) if it does not check.
  Result<bool> add(ByteView encoded);
  // Merges records checked before (a node's own store); skips undecodable ones.
  void add_trusted(const std::vector<Bytes>& encoded);

  KeyKind kind() const { return kind_; }
  const Id256& owner() const { return owner_; }
  Id256 key() const { return key_for(kind_, owner_); }
  bool empty() const;
  size_t size() const;
  // Encoded records, sorted by hash (a canonical order).
  std::vector<Bytes> encoded() const;
  // Identifies the set's content (what repair compares).
  Id256 digest() const;
  // The claims of a KeyKind::claims set; nullptr for the other kinds.
  const ClaimSet* claims() const { return std::get_if<ClaimSet>(&set_); }

 private:
  KeyKind kind_;
  Id256 owner_;
  std::variant<HeadSet, InboxSet, ClaimSet> set_;
};

// The wire forms of reading and writing one owner's records: get_heads/put_heads and heads for
// head sets (as before there were other kinds), get_records/put_records and records for the
// others.
Body record_get_request(KeyKind kind, const Id256& owner);
// `records` trimmed to what one message of the kind carries.
Body record_put_request(KeyKind kind, const Id256& owner, std::vector<Bytes> records);
// The records a reply carries (a heads or records body); nullptr for any other body.
std::vector<Bytes>* records_of_reply(Body& body);
// Drops records from the end until they fit one message of the kind.
void trim_records_to_message(KeyKind kind, std::vector<Bytes>& records);

}  // namespace peerstore
