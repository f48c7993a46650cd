// MemoryStore: a LocalStore in process memory, for tests and simulations. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <unordered_map>

#include "store/local_store.h"

namespace peerstore {

class MemoryStore final : public LocalStore {
 public:
  Result<Bytes> get(const BlockId& id) override;
  Result<bool> contains(const BlockId& id) override;
  Status for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) override;
  Result<std::vector<Bytes>> heads(const VolumeId& volume) override;
  Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) override;
  Status write(const WriteBatch& batch) override;
  Result<StoreStats> stats() override;

 private:
  std::mutex mu_;
  std::unordered_map<BlockId, Bytes, Id256Hash> blocks_;
  std::map<VolumeId, std::vector<Bytes>> heads_;
};

}  // namespace peerstore
