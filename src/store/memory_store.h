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
  Result<StoreSpace> space() override;
  // Holds at most `bytes` (counted with LocalStore::cost_of_block); 0: unbounded.
  void set_capacity(uint64_t bytes);

 private:
  uint64_t capacity_ = 0;
  uint64_t used_ = 0;
  std::mutex mu_;
  std::unordered_map<BlockId, Bytes, Id256Hash> blocks_;
  std::map<VolumeId, std::vector<Bytes>> heads_;
};

}  // namespace peerstore
