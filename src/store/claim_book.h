// ClaimBook: the claims this device made on blocks, per volume (docs/lifecycle.md, Ring
// collection). Replicas keep a block while a claim on it is live, and only its claimant can
// cancel it, with a secret derived from the claim's number; so the device must remember, for
// each (volume, block), the number of its claim and how far it got:
//   claiming   sent (or about to be), not yet acknowledged by the replicas;
//   live       acknowledged: the replicas keep the block for this device;
//   cancelling the cancel is decided, not yet acknowledged;
//   cancelled  acknowledged; a new claim on the block takes the next number, since the
//              revealed secret of this one must not cancel it.
// The two pending states are written before their message is sent, so a crash in between
// leaves them for Claimant::resume, and the book never says "live" for a claim the ring may
// not hold (which could let a block go that the device still needs).
//
// Records live in a KvTable (LmdbStore::table("claims") in a computer's store): key
// volume(32) ‖ block(32), value number(u32 big endian) ‖ state(u8), 5 bytes. Read back as
// untrusted: a record that does not decode is Errc::corrupt. Thread-safe (the table is).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"
#include "store/block_store.h"
#include "store/head_store.h"
#include "store/kv_table.h"

namespace peerstore {

enum class ClaimState : uint8_t { claiming = 0, live = 1, cancelling = 2, cancelled = 3 };

struct ClaimEntry {
  uint32_t number = 0;
  ClaimState state = ClaimState::claiming;
  bool operator==(const ClaimEntry&) const = default;
};

class ClaimBook {
 public:
  static constexpr size_t kEntrySize = 5;

  // `table` must outlive the book; the book owns every record in it.
  explicit ClaimBook(KvTable& table) : table_(table) {}

  // Each block's entry, or nullopt for a block this device never claimed in `volume`.
  Result<std::vector<std::optional<ClaimEntry>>> find(const VolumeId& volume,
                                                      std::span<const BlockId> blocks);
  // Writes the entries in one durable transaction.
  Status record(const VolumeId& volume, std::span<const std::pair<BlockId, ClaimEntry>> entries);
  // Every entry of `volume`, in block order, until `fn` returns false.
  Status for_each(const VolumeId& volume,
                  const std::function<bool(const BlockId&, const ClaimEntry&)>& fn);

  static Bytes encode(const ClaimEntry& e);
  // Errc::corrupt for a record of another size or an unknown state.
  static Result<ClaimEntry> decode(ByteView bytes);

 private:
  KvTable& table_;
};

}  // namespace peerstore
