// `peerstore fsck --versions`: checks every version of the user's tree that retention keeps
// (fs/retention.h: the current heads, and the past versions the policy retains), block by
// block: each version's head, root block and inode table, every directory's and file's tree
// nodes, and every chunk, which must be present (on this computer or the ring) and open with
// its key. Versions share most of their blocks (content addressing), so each distinct block is
// read once, whatever the number of versions. A damaged version is reported with what failed
// in it (an inode and a chunk, or the tree node whose subtree could not be read) and the check
// goes on. Run on the calling thread; `stop` is checked between versions. Not thread-safe
// (the Volume is not).
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "fs/pins.h"
#include "fs/retention.h"
#include "fs/volume.h"

namespace peerstore::client {

struct VersionDamage {
  Id256 head;           // the version
  int64_t time_ns = 0;  // its time (0 when its head itself could not be read)
  std::string error;    // what failed in it
};

struct VersionsReport {
  size_t versions = 0;       // versions in the history walked
  size_t checked = 0;        // versions retention keeps, checked
  uint64_t blocks = 0;       // distinct blocks read
  bool history_cut = false;  // the history was longer than kMaxHistoryWalk heads
  bool stopped = false;
  std::vector<VersionDamage> damaged;  // one entry per failure found
};

struct VersionsOptions {
  RetentionPolicy policy;
  std::vector<Pin> pins;  // pinned versions are checked too (fs/pins.h, read_pins)
  int64_t now_ns = 0;
  std::function<void(const VersionDamage&)> found;          // as each damage is found; may be null
  std::function<void(size_t checked, size_t of)> progress;  // after each version; may be null
  const std::atomic<bool>* stop = nullptr;
};

// The versions retention keeps, found by following parent heads from the current one (and
// `extra_heads`: other computers' heads on the network, not merged yet), newest first; the
// current heads and the `pins`' versions are always in (a pinned version older than the walk
// reaches is read by its hash).
struct RetainedHistory {
  std::vector<Head> heads;             // newest first, each once
  std::vector<Pin> pins;               // the pins whose version was found
  size_t versions = 0;                 // in the history walked
  bool history_cut = false;            // longer than kMaxHistoryWalk heads
  std::vector<VersionDamage> missing;  // parent heads and pinned versions that could not be read
  // Every head of the history walked, retained or not: their blocks are what the next walk
  // follows, so the collector keeps them all (they are small).
  std::vector<Id256> walked;
};
RetainedHistory retained_history(Volume& volume, const std::vector<Head>& extra_heads,
                                 const RetentionPolicy& policy, int64_t now_ns,
                                 const std::vector<Pin>& pins = {});

// The names the versions of `h` show under .snapshots/ and in `peerstore snapshots`, newest
// first: a pinned version by each of its pins' names (and by no time), every other one by its
// time (fs/retention.h, snapshot_names).
struct NamedVersion {
  std::string name;
  Head head;
  std::optional<Pin> pin;  // none for an automatic snapshot
};
std::vector<NamedVersion> named_versions(const RetainedHistory& h);

// Checks every version retained_history() gives.
VersionsReport check_versions(Volume& volume, const std::vector<Head>& extra_heads,
                              const VersionsOptions& options);

}  // namespace peerstore::client
