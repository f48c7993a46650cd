// Claimant: one device's claims on the blocks of one volume (docs/lifecycle.md, Ring
// collection). The ring keeps a block while any claim on it is live, and only the claimant can
// cancel its claim, by revealing the secret behind its tag (keys/claim_secret.h). The claimant
// decides claim numbers from its ClaimBook (store/claim_book.h), writes each step there before
// or after the network's answer so that the book never says "live" for a claim the ring may
// lack, and sends one record per block to the block's replicas (KeyKind::claims at the block's
// id) through a ClaimSink. Blocks the calling thread: run it on a worker (the collector's,
// sync's), never on the DHT's loop thread. Not thread-safe: one caller at a time.
#pragma once

#include <functional>
#include <span>
#include <utility>
#include <vector>

#include "common/result.h"
#include "dht/claim_set.h"
#include "keys/claim_secret.h"
#include "store/claim_book.h"

namespace peerstore {

class DhtClient;

// Where claims go: the ring (DhtClaimSink below), the simulator in tests.
class ClaimSink {
 public:
  virtual ~ClaimSink() = default;
  // Puts each (block, claim record) pair as a claims record of that block, and returns one
  // Status each, in order: ok once the block's write quorum of replicas has it. Blocks until
  // every put has its answer.
  virtual std::vector<Status> put_claims(const std::vector<std::pair<BlockId, Bytes>>& puts) = 0;
};

// The ring through a put of a block's claims records (KeyKind::claims at the block's id: a
// DhtClient's put_records, or a RelayStore's for a process without a node of its own), with up
// to `window` puts in flight.
class DhtClaimSink final : public ClaimSink {
 public:
  using PutClaims = std::function<void(const BlockId& block, std::vector<Bytes> records,
                                       std::function<void(Status)> done)>;
  explicit DhtClaimSink(PutClaims put, size_t window = 256)
      : put_(std::move(put)), window_(window) {}
  explicit DhtClaimSink(DhtClient& dht, size_t window = 256);
  std::vector<Status> put_claims(const std::vector<std::pair<BlockId, Bytes>>& puts) override;

 private:
  PutClaims put_;
  size_t window_;
};

class Claimant {
 public:
  struct Counts {
    size_t sent = 0;     // claims (or cancels) the network acknowledged
    size_t skipped = 0;  // already so: a live claim to make, no live claim to cancel
  };

  // `book` and `sink` must outlive the claimant.
  Claimant(ClaimSecrets secrets, const PublicKey& device, const VolumeId& volume, ClaimBook& book,
           ClaimSink& sink)
      : secrets_(std::move(secrets)), device_(device), volume_(volume), book_(book), sink_(sink) {}

  // Claims each of `blocks` on which this device holds no live claim: number 0 for a block it
  // never claimed, the next number after a cancel. A block whose claim is still pending is
  // claimed again with the same number (a replica counts it once). Returns the first failure
  // (Errc::unavailable with the network's error) once every put has its answer; the
  // acknowledged ones are recorded as live, the others stay pending, so a retry sends only them.
  Result<Counts> claim(std::span<const BlockId> blocks);
  // Cancels this device's claim on each of `blocks` that has one (live or pending). The cancel
  // is recorded before it is sent (so a crash cannot leave the book saying "live" for a claim
  // the ring holds cancelled) and as done once acknowledged. Errors as claim().
  Result<Counts> cancel(std::span<const BlockId> blocks);
  // The collector's cancel: every block on which the book holds a claim of this device (live or
  // pending) that `reached` says no retained version reaches anymore. Errors as claim().
  Result<Counts> cancel_unreached(const std::function<bool(const BlockId&)>& reached);
  // Sends again what a crash or a failed send left pending: claims as claims, cancels as
  // cancels. At start, and after a failure, before new work.
  Result<Counts> resume();

 private:
  // Sends `records`, one per entry of `entries` (same order), then records each acknowledged
  // entry with `done_state`. Returns the first failure.
  Result<size_t> send(std::vector<std::pair<BlockId, ClaimEntry>> entries, bool cancels,
                      ClaimState done_state);
  Bytes record_of(const BlockId& block, const ClaimEntry& e, bool cancel) const;

  ClaimSecrets secrets_;
  PublicKey device_;
  VolumeId volume_;
  ClaimBook& book_;
  ClaimSink& sink_;
};

}  // namespace peerstore
