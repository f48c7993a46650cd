// RetentionFloor: how far space pressure thinned this computer's automatic snapshots
// (docs/lifecycle.md, Under space pressure): versions older than the floor are no longer kept by
// the retention rules (RetentionPolicy::floor_ns); pins and current heads always are. The floor
// only rises. It is kept in DATA/thinned (the time in ns since the epoch, in decimal, one line),
// so the mount's .snapshots/, its collector and the CLI agree on what is kept, across restarts.
// A file that does not parse counts as no floor (which only keeps more). Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "common/result.h"
#include "fs/retention.h"

namespace peerstore::host {

class RetentionFloor {
 public:
  // Reads `path` (DataDirLayout::thinned); a missing or unreadable file is floor 0.
  explicit RetentionFloor(std::string path);

  int64_t floor_ns() const { return floor_.load(); }
  // `policy` with this floor.
  RetentionPolicy apply(RetentionPolicy policy) const {
    policy.floor_ns = std::max(policy.floor_ns, floor_ns());
    return policy;
  }
  // Raises the floor to `ns` (a lower one changes nothing), durably before it takes effect.
  Status raise(int64_t ns);

  // The floor recorded in `path`, 0 if none (the CLI, which reads it only).
  static int64_t read(const std::string& path);

 private:
  const std::string path_;
  std::atomic<int64_t> floor_;
};

}  // namespace peerstore::host
