// BlockRelease: a replica's sweep of the blocks no claimant needs any more (docs/lifecycle.md,
// Ring collection). A block whose claims are all cancelled (ReplicaStore::released) is erased
// once it has stayed so for `grace_ms`; a new claim in between keeps it, and a put of it (a
// writer that wrote the same chunk anew, its claim still on the way) starts the grace again,
// so a writer always has a whole grace to claim what it wrote. The grace is counted
// from when this node first saw the block released, not from a time in the records (replicas
// would disagree on it, and repair would never settle); a restart starts it again, which only
// keeps a block longer. The block's claims stay, all cancelled: the tombstone that keeps repair
// from moving a copy back (KeyTransfer).
// Writers that share the node's store (a mount's file system writes the same LMDB) are guarded
// too: each block's erase skips it if any writer stored it after its grace began (a mark of the
// store's write history taken then, ReplicaStore::forget_blocks), since a chunk written anew
// by a mount reaches this replica only with its upload.
// A lone node (a ring of one that has never had another member: a single computer's default)
// gives a block whose whole grace it spent alone the short `lone_grace_ms` instead: its only
// writers are its own mount, whose writes the mark guards, and this computer's CLI, whose
// claims come with its commit; nobody else can be away holding a copy or about to claim one.
// Once the node is not alone, every grace runs its full length.
// A tombstone (ReplicaStore::tombstone: the claims of a block no longer held, all cancelled)
// is dropped once it has been one for a horizon, a month by default: by then every replica has
// erased its copy, and a copy that comes back from a node away for longer than that can only
// be kept (its claim is live there), never lost. Tombstones are found by a scan of the claimed
// blocks once per horizon; one seen at two scans goes, so each lasts one to two horizons, and
// memory holds one id per tombstone between scans. Repair does not bring a dropped one back
// (KeyTransfer). Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "dht/replica_store.h"

namespace peerstore {

class BlockRelease {
 public:
  struct Stats {
    uint64_t released = 0;  // blocks erased
    size_t waiting = 0;     // released blocks held, their grace not over (reclaimable)
    uint64_t waiting_bytes = 0;
    uint64_t tombstones_dropped = 0;
  };

  // `store` must outlive this.
  BlockRelease(ReplicaStore& store, int64_t grace_ms, int64_t lone_grace_ms = -1)
      : store_(store),
        grace_ms_(grace_ms),
        lone_grace_ms_(lone_grace_ms < 0 ? grace_ms : lone_grace_ms) {}

  // One sweep: starts the grace of the newly released, ends that of the claimed again, and
  // erases those past it (ReplicaStore::forget_blocks, committed later). It looks at the
  // blocks whose claims changed or that were put since the last sweep, and those in their
  // grace (all claimed blocks at the first sweep), so a sweep with nothing new costs little.
  // `lone`: the node has been alone since it started (see above). A block gets the short grace
  // only if every sweep since its grace began was told so.
  void sweep(int64_t now_ms, bool lone = false);
  const Stats& stats() const { return *stats_; }
  // Tombstones are dropped after `horizon_ms` (`lone_horizon_ms` on a lone node, where no
  // other replica can bring a copy back); never if negative (the default).
  void set_tombstone_horizon(int64_t horizon_ms, int64_t lone_horizon_ms) {
    horizon_ms_ = horizon_ms;
    lone_horizon_ms_ = lone_horizon_ms;
  }

 private:
  ReplicaStore& store_;
  int64_t grace_ms_;
  int64_t lone_grace_ms_;
  struct Waiting {
    int64_t since = 0;  // first seen released
    uint64_t bytes = 0;
    bool lone = false;                      // every sweep since `since` was alone: the short grace
    std::shared_ptr<const WriteMark> mark;  // of the store's writes, taken at `since`
  };
  std::unordered_map<Id256, Waiting, Id256Hash> waiting_;
  std::vector<Id256> erasing_;  // handed to the last sweep's erases: looked at again
  // Once a horizon: drops the tombstones the last scan found that are tombstones still.
  void scan_tombstones(int64_t now_ms, bool lone);
  int64_t horizon_ms_ = -1, lone_horizon_ms_ = -1;
  int64_t scanned_at_ = 0;
  bool scanned_ = false;
  std::vector<Id256> tombstones_;  // found by the last scan, sorted
  // Shared with the erase's completion, which may come after this is gone.
  std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
};

}  // namespace peerstore
