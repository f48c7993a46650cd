// HealthSource: what a mount knows of where its data stands, for the peerstore.* virtual
// extended attributes (FileSystem::getxattr, docs/health.md): how many copies the ring holds of
// blocks, the bytes still waiting for upload, and the conflict copies live sync made. The host
// implements it over the mount's TieredStore, DHT node and conflict log. Thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "common/result.h"
#include "fs/conflict_log.h"
#include "store/block_store.h"

namespace peerstore {

class HealthSource {
 public:
  virtual ~HealthSource() = default;
  // The fewest copies the ring holds of any of `ids`, counted on the nodes where readers look
  // for them; blocks for a bounded time. Errc::timeout or Errc::unavailable when it cannot tell.
  virtual Result<uint32_t> fewest_copies(const std::vector<BlockId>& ids) = 0;
  // The bytes of those of `ids` that are not on the ring yet (waiting for upload).
  virtual uint64_t pending_bytes(const std::vector<BlockId>& ids) = 0;
  // The conflict copies live sync made on this computer, oldest first.
  virtual std::vector<ConflictRecord> conflicts() = 0;
};

}  // namespace peerstore
