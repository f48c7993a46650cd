#include "store/memory_store.h"

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
  for (auto& id : batch.erase) blocks_.erase(id);
  for (auto& b : batch.blocks) blocks_.try_emplace(b.id, b.data.begin(), b.data.end());
  for (auto& [vol, hs] : batch.heads) {
    if (hs.empty())
      heads_.erase(vol);
    else
      heads_[vol] = hs;
  }
  return {};
}

Result<StoreStats> MemoryStore::stats() {
  std::lock_guard lock(mu_);
  StoreStats s;
  s.blocks = blocks_.size();
  for (auto& [id, d] : blocks_) s.block_bytes += d.size();
  return s;
}

}  // namespace peerstore
