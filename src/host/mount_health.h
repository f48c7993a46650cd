// MountHealth: a mount's HealthSource (fs/health_source.h), the answers behind its peerstore.*
// attributes: copies counted by its DHT node on the ring, pending bytes from its TieredStore's
// upload queue, conflict copies from its data directory's log. Thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "dht/dht_client.h"
#include "fs/health_source.h"
#include "store/tiered_store.h"

namespace peerstore::host {

class MountHealth final : public HealthSource {
 public:
  // All must outlive it.
  MountHealth(DhtClient& dht, TieredStore& tiered, std::string conflict_log,
              std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : dht_(dht), tiered_(tiered), conflict_log_(std::move(conflict_log)), timeout_(timeout) {}

  // No ids: 0 (nothing is stored yet). Errc::timeout past `timeout`.
  Result<uint32_t> fewest_copies(const std::vector<BlockId>& ids) override;
  uint64_t pending_bytes(const std::vector<BlockId>& ids) override {
    return tiered_.pending_bytes(ids);
  }
  // A log that cannot be read counts as none (it is logged).
  std::vector<ConflictRecord> conflicts() override;

 private:
  DhtClient& dht_;
  TieredStore& tiered_;
  std::string conflict_log_;
  std::chrono::milliseconds timeout_;
};

}  // namespace peerstore::host
