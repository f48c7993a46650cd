// Collection: one run of a computer's local collection for the volume it writes
// (docs/lifecycle.md, Local collection), the steps in order and nothing else: take the store's
// write mark, commit, mark every retained version (the retained history, with the network's heads
// of the volume, pinned versions, every head block walked) and the files open but unlinked, then
// cancel this device's claims on what no retained version reaches, and erase the local copies
// that are neither marked nor waiting for upload, under the mark. What each step talks to (the
// file system, the claims worker, the ring) comes in as a function, so the run is tested over
// memory (tests/unit/host/collection_test.cc) and MountCollector wires it into a mount.
// Safety: a commit that fails, a version or head that cannot be read, or a history longer than
// the walk reaches ends the run before anything is cancelled or erased. Runs on the calling
// thread; the sources must be safe to call from it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dht/claimant.h"
#include "fs/inode_record.h"
#include "fs/pins.h"
#include "fs/retention.h"
#include "fs/volume.h"
#include "keys/volume_keys.h"
#include "store/local_store.h"

namespace peerstore::host {

// A volume the mount writes besides its home volume: a shared folder it holds the signing key
// of (a linked volume, host/linked_volumes.h). A run commits it, marks its retained versions
// (the same retention as the home volume's, without thinning) and its open unlinked files with
// the home volume's, and cancels this device's claims in its name on what no retained version
// of any volume reaches.
struct LinkedSource {
  VolumeKeys keys;  // a reader's are enough
  std::function<std::vector<Pin>()> pins;
  std::function<Status()> commit;
  std::function<std::vector<InodeRecord>()> open_unlinked;
  std::function<Status(Volume& volume, const Head& head)> claim;  // as CollectionSources'
  using Reached = std::function<bool(const BlockId&)>;
  std::function<Result<Claimant::Counts>(const Reached& reached)> cancel;
};

struct CollectionSources {
  // Where the candidates are (every id it holds) and whose write mark guards the erases: the
  // front every writer of the store writes through. A store that gives no mark cannot be
  // collected (Errc::invalid).
  LocalStore* store = nullptr;
  // What versions are read through (for a mount, with the network behind).
  LocalStore* reader = nullptr;
  VolumeKeys keys;  // the volume's; a reader's keys are enough
  PublicKey device;
  RetentionPolicy policy;
  std::function<std::vector<Pin>()> pins;  // the volume's pins; null: none
  // Commits what the file system holds, so that what it names is in a version. Required.
  std::function<Status()> commit;
  // The records of the files open but unlinked (FileSystem::open_unlinked); null: none.
  std::function<std::vector<InodeRecord>()> open_unlinked;
  // For each id, whether it waits for upload (its only copy may be here); null: none waits.
  std::function<std::vector<bool>(const std::vector<BlockId>&)> waiting;
  // Claims in the volume's name what a retained version reaches and this device holds no live
  // claim on (MountClaims::claim_version), for each retained version before it is marked: so
  // what a run keeps is claimed as what it drops is cancelled, blocks from before claims
  // existed (or from a computer that made none) included. Cheap once done: the walk stops at
  // a live claim. A failure ends the run (for a linked volume: keeps its claims). Null: none.
  std::function<Status(Volume& volume, const Head& head)> claim;
  // The upload queue's newest ticket, taken after the run's commit, and whether everything up to
  // a ticket is uploaded (TieredStore). Asked before the cancel: a commit's claims go up through
  // that queue, and a claim sent after the cancel stays live on a block nothing reaches until a
  // later run cancels it, so a run that finds them behind says so (CollectionReport::behind)
  // and MountCollector runs again soon. Null: nothing is ever behind.
  std::function<uint64_t()> upload_ticket;
  std::function<bool(uint64_t ticket)> uploaded;
  // Cancels this device's claims on the blocks `reached` says no retained version reaches
  // (MountClaims::cancel_unreached); null: the device makes no claims.
  using Reached = std::function<bool(const BlockId&)>;
  std::function<Result<Claimant::Counts>(const Reached& reached)> cancel;
  // Erases the local copies it may among `ids` (none marked, none waiting), guarded by `mark`;
  // returns how many went. A mount's node keeps the blocks of its replica ranges (the ring's,
  // released through claims). Null: nothing is erased.
  std::function<Result<uint64_t>(std::vector<BlockId> ids, std::shared_ptr<const WriteMark> mark)>
      erase;
  // The linked volumes the mount writes, asked at the start of each run; null: none. One whose
  // commit fails or whose versions cannot be read (a shared folder whose heads are away) keeps
  // all its claims, and the run goes on for the others (CollectionReport::linked_failed): its
  // blocks stay on the ring, so the erase below, which drops only copies the ring holds (or
  // this node holds for it), loses nothing of it.
  std::function<std::vector<LinkedSource>()> linked;
  // The floor space pressure has thinned retention to so far (RetentionFloor); null: none.
  std::function<int64_t()> floor;
  // Whether the store is short of space: the run then thins the automatic snapshots, the
  // oldest half of them (never a pin or a current head), raising the floor with `thin` before
  // anything they alone held is cancelled or erased. Null: never.
  std::function<bool()> under_pressure;
  std::function<Status(int64_t floor_ns)> thin;
  // Checked between versions and between passes: set, the run ends (Errc::unavailable) with
  // what it did so far done. Null: never.
  const std::atomic<bool>* stop = nullptr;
};

struct CollectionReport {
  size_t versions = 0;  // retained versions marked
  size_t history = 0;   // head blocks kept (every head walked)
  size_t open_unlinked = 0;
  size_t linked = 0;         // linked volumes marked
  size_t linked_failed = 0;  // linked volumes not marked: their claims were all kept
  std::string linked_error;  // the first one's reason
  uint64_t marked = 0;       // distinct interior blocks and leaf prefixes
  uint64_t unmarked = 0;     // blocks in the store that no retained version reaches
  uint64_t waiting = 0;      // of those, kept because they wait for upload
  uint64_t erased = 0;       // local copies erased
  size_t cancelled = 0;      // claims of this device cancelled
  size_t thinned = 0;        // automatic snapshots dropped under space pressure
  int64_t floor_ns = 0;      // the floor they were dropped below
  bool behind = false;       // uploads and claims of the run's commit still queued at its cancel
  int64_t mark_ms = 0;       // commit, history and mark
  int64_t sweep_ms = 0;      // cancel and erase
};

// One run at `now_ns` (retention's clock).
Result<CollectionReport> collect(const CollectionSources& sources, int64_t now_ns);

// One line for the log.
std::string describe(const CollectionReport& r);

}  // namespace peerstore::host
