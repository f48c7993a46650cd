// ClaimSet: the claims on one block that a replica keeps (docs/lifecycle.md, Ring collection):
// who still needs the block. A claim is a tag, claim_tag(s) of a cancel secret s that only its
// claimant can derive; a cancel reveals s, which proves itself against the tag. Claims and
// cancels form a two-phase set, so merging two replicas' sets is a union in which a cancelled
// claim stays cancelled, and replicas converge in whatever order repair brings them. A block
// may go once it has claims, all of them cancelled, a grace period after the last cancel this
// replica learned of. A set with no claims (blocks stored before claims existed) never lets its
// block go.
//
// On the ring a block's claims are a record set (KeyKind::claims, dht/record_kind.h) at the
// block's own key, so they live on the block's replicas and travel with its repair and
// handoff. Each claim is one record (msgpack):
//   [1, tag(bin32), number, secret(bin32) | nil]
// The time a replica learned of a claim is its own and never leaves it.
// Value type; not synchronized.
#pragma once

#include <optional>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "keys/claim_secret.h"

namespace peerstore {

struct Claim {
  Id256 tag;
  uint32_t number = 0;          // the claimant's claim number for the block (0 if unknown)
  std::optional<Id256> secret;  // once cancelled; claim_tag(*secret) == tag
  int64_t time_ms = 0;          // when this replica learned of the claim, then of its cancel
  bool cancelled() const { return secret.has_value(); }
  bool operator==(const Claim&) const = default;
};

class ClaimSet {
 public:
  // Records per block. Past it the oldest cancelled record makes room (a lost tombstone can only
  // keep a block longer); with every record live, a new claim is refused (the block stays).
  static constexpr size_t kMaxClaims = 64;
  enum class Added { added, known, cancelled_before, full };

  // A claim with `tag`. cancelled_before: its cancel came first (repair's order), so it is
  // dead on arrival; known: the set has it.
  Added add(const Id256& tag, uint32_t number, int64_t now_ms);
  // A cancel: `secret` is the claim's cancel secret. Cancels the claim with its tag, or keeps a
  // tombstone for a claim not seen yet. False if it changed nothing (cancelled before, or no
  // room left for a tombstone).
  bool cancel(const Id256& secret, int64_t now_ms);
  // Takes in one claim another replica knows of (a cancel wins). `c` comes from decode_claim,
  // which checked its secret. Returns whether anything changed.
  bool merge(const Claim& c, int64_t now_ms);
  // Takes in what another replica knows of the block's claims (a union; a cancel wins).
  // Returns whether anything changed.
  bool merge(const ClaimSet& other, int64_t now_ms);

  // The block may be erased: it has claims, all cancelled, the last cancel learned at least
  // `grace_ms` ago.
  bool releasable(int64_t now_ms, int64_t grace_ms) const;
  size_t size() const { return claims_.size(); }
  bool empty() const { return claims_.empty(); }
  size_t live() const;
  const std::vector<Claim>& claims() const { return claims_; }  // sorted by tag

  // One record a claim; its time stays here.
  static Bytes encode_claim(const Claim& c);
  // Errc::corrupt for bad bytes, an unknown version, or a secret that is not its tag's.
  static Result<Claim> decode_claim(ByteView bytes);
  // Every claim's record, sorted by tag (a canonical order).
  std::vector<Bytes> encoded() const;
  // Merges records checked before (a node's own store), learned at time 0; skips bad ones.
  void add_trusted(const std::vector<Bytes>& records);
  // Identifies what repair must agree on: the tags and which are cancelled.
  Id256 digest() const;

 private:
  std::vector<Claim>::iterator find(const Id256& tag);
  // Room for one more record: true if there is (dropping the oldest cancelled one if needed).
  bool make_room();

  std::vector<Claim> claims_;
};

}  // namespace peerstore
