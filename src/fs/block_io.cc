#include "fs/block_io.h"

#include "common/log.h"

namespace peerstore {

Result<Bytes> BlockIo::fetch(const BlockId& id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = pending_.find(id); it != pending_.end()) return it->second;
    if (auto it = writing_.find(id); it != writing_.end()) return it->second;
  }
  return store_.get(id);
}

Result<Bytes> BlockIo::read(const BlockPtr& ptr) {
  auto data = fetch(ptr.id);
  if (!data) {
    log::error("block " + ptr.id.hex() + " cannot be read: " + data.error().message());
    return data.error();
  }
  // The AEAD tag authenticates the content under the key from the (authenticated) parent, so a
  // separate id hash check adds nothing for local reads.
  auto plain = open_block(*data, ptr.key);
  if (!plain) {
    log::error("block " + ptr.id.hex() + " is corrupt: it does not authenticate");
    return fail(Errc::corrupt, "block " + ptr.id.short_hex());
  }
  return plain;
}

Result<BlockPtr> BlockIo::write(ByteView plaintext) {
  SealedBlock s = seal_block(plaintext, convergence_);
  bool full;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = pending_.try_emplace(s.ptr.id, std::move(s.ciphertext));
    if (inserted) pending_bytes_ += it->second.size();
    full = pending_bytes_ >= kSpillBytes;
  }
  if (full) PS_TRY(spill());
  return s.ptr;
}

Status BlockIo::spill() {
  std::lock_guard wlock(write_mu_);
  WriteBatch batch;
  {
    std::lock_guard lock(mu_);
    if (pending_bytes_ < kSpillBytes) return {};  // another thread spilled first
    for (auto& [id, data] : pending_) batch.blocks.push_back({id, data});
    writing_ = std::move(pending_);
    pending_.clear();
    pending_bytes_ = 0;
  }
  Status st = store_.write(batch);
  std::lock_guard lock(mu_);
  if (!st) {
    // Keep them queued: the next commit retries and reports the error to fsync.
    for (auto& [id, data] : writing_)
      if (pending_.try_emplace(id, std::move(data)).second) pending_bytes_ += pending_[id].size();
  }
  writing_.clear();
  return st;
}

Status BlockIo::commit(const VolumeId& volume, const std::vector<Bytes>& heads) {
  std::lock_guard wlock(write_mu_);
  WriteBatch batch;
  std::unordered_map<BlockId, Bytes, Id256Hash> taken;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, data] : pending_) batch.blocks.push_back({id, data});
    taken = std::move(pending_);
    pending_.clear();
    pending_bytes_ = 0;
    writing_ = std::move(taken);
  }
  batch.heads.emplace_back(volume, heads);
  Status st = store_.write(batch);
  std::lock_guard lock(mu_);
  if (!st) {
    for (auto& [id, data] : writing_)
      if (pending_.try_emplace(id, std::move(data)).second) pending_bytes_ += pending_[id].size();
  }
  writing_.clear();
  return st;
}

size_t BlockIo::pending_bytes() const {
  std::lock_guard lock(mu_);
  return pending_bytes_;
}

}  // namespace peerstore
