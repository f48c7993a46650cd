#include "store/memory_store.h"

#include <unordered_set>

namespace peerstore {

Result<Bytes> MemoryStore::get(const BlockId& id) {
  std::lock_guard lock(mu_);
  auto it = blocks_.find(id);
  if (it == blocks_.end()) return fail(Errc::not_found, "block " + id.short_hex());
  return it->second;
}

Result<bool> MemoryStore::contains(const BlockId& id) {
  std::lock_guard lock(mu_);
  return blocks_.count(id) > 0;
}

Status MemoryStore::for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) {
  std::vector<std::pair<BlockId, size_t>> ids;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, data] : blocks_) ids.emplace_back(id, data.size());
  }
  for (auto& [id, n] : ids)
    if (!fn(id, n)) break;
  return {};
}

Result<std::vector<Bytes>> MemoryStore::heads(const VolumeId& volume) {
  std::lock_guard lock(mu_);
  auto it = heads_.find(volume);
  if (it == heads_.end()) return std::vector<Bytes>{};
  return it->second;
}

Status MemoryStore::for_each_volume(const std::function<bool(const VolumeId&)>& fn) {
  std::vector<VolumeId> vols;
  {
    std::lock_guard lock(mu_);
    for (auto& [v, hs] : heads_) vols.push_back(v);
  }
  for (auto& v : vols)
    if (!fn(v)) break;
  return {};
}

Status MemoryStore::write(const WriteBatch& batch) {
  for (auto& b : batch.blocks)
    if (b.data.size() > kMaxBlockSize) return fail(Errc::too_big, "block " + b.id.short_hex());
  for (auto& [vol, hs] : batch.heads)
    if (hs.size() > kMaxHeadsPerVolume) return fail(Errc::too_big, "head set");
  std::lock_guard lock(mu_);
  if (capacity_) {
    // What the batch would leave: erased blocks first, as write() applies them.
    uint64_t used = used_;
    std::unordered_set<BlockId, Id256Hash> gone;
    for (auto& id : batch.erase)
      if (auto it = blocks_.find(id); it != blocks_.end() && gone.insert(id).second)
        used -= cost_of_block(it->second.size());
    for (auto& b : batch.blocks)
      if (!blocks_.contains(b.id) || gone.erase(b.id)) used += cost_of_block(b.data.size());
    if (used > capacity_) return fail(Errc::no_space, "store full");
  }
  for (auto& id : batch.erase) {
    auto it = blocks_.find(id);
    if (it == blocks_.end()) continue;
    used_ -= cost_of_block(it->second.size());
    blocks_.erase(it);
  }
  for (auto& b : batch.blocks)
    if (blocks_.try_emplace(b.id, b.data.begin(), b.data.end()).second)
      used_ += cost_of_block(b.data.size());
  for (auto& [vol, hs] : batch.heads) {
    if (hs.empty())
      heads_.erase(vol);
    else
      heads_[vol] = hs;
  }
  return {};
}

Result<StoreSpace> MemoryStore::space() {
  std::lock_guard lock(mu_);
  if (!capacity_) return StoreSpace{};
  return StoreSpace{.free = capacity_ > used_ ? capacity_ - used_ : 0, .total = capacity_};
}

void MemoryStore::set_capacity(uint64_t bytes) {
  std::lock_guard lock(mu_);
  capacity_ = bytes;
}

Result<StoreStats> MemoryStore::stats() {
  std::lock_guard lock(mu_);
  StoreStats s;
  s.blocks = blocks_.size();
  for (auto& [id, d] : blocks_) s.block_bytes += d.size();
  return s;
}

}  // namespace peerstore
