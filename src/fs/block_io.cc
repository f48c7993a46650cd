#include "fs/block_io.h"

#include <cstring>

#include "common/log.h"

namespace peerstore {

BlockIo::Shared BlockIo::queued(const BlockId& id) const {
  std::lock_guard lock(mu_);
  if (auto it = pending_.find(id); it != pending_.end()) return it->second;
  if (auto it = writing_.find(id); it != writing_.end()) return it->second;
  return nullptr;
}

Status BlockIo::view(const BlockId& id, const std::function<Status(ByteView)>& fn) {
  if (Shared q = queued(id)) return fn(*q);
  return store_.view(id, fn);
}

Result<Bytes> BlockIo::read(const BlockPtr& ptr) {
  Bytes plain;
  bool opened = false;
  Status st = view(ptr.id, [&](ByteView data) -> Status {
    // The AEAD tag authenticates the content under the key from the (authenticated) parent,
    // so a separate id hash check adds nothing for local reads.
    auto p = open_block(data, ptr.key);
    if (!p) return p.error();
    plain = std::move(*p);
    opened = true;
    return {};
  });
  if (!st) {
    log::error("block " + ptr.id.hex() + (opened ? " cannot be read: " : " is unreadable: ") +
               st.error().message());
    return fail(st.code() == Errc::not_found ? Errc::not_found : Errc::corrupt,
                "block " + ptr.id.short_hex());
  }
  return plain;
}

Status BlockIo::read_range(const BlockPtr& ptr, size_t lo, size_t hi, uint8_t* out,
                           size_t* copied) {
  *copied = 0;
  Status st = view(ptr.id, [&](ByteView data) -> Status {
    if (data.size() < kSealOverhead) return fail(Errc::corrupt, "block too short");
    size_t len = data.size() - kSealOverhead;
    size_t end = std::min(hi, len);
    if (lo >= end) return {};
    if (lo == 0 && end == len) {  // the whole block: decrypt in place, no bounce buffer
      PS_TRY(open_block_into(data, ptr.key, out));
    } else {
      Bytes tmp(len);
      PS_TRY(open_block_into(data, ptr.key, tmp.data()));
      std::memcpy(out, tmp.data() + lo, end - lo);
    }
    *copied = end - lo;
    return {};
  });
  if (!st) {
    log::error("block " + ptr.id.hex() + " is unreadable: " + st.error().message());
    return fail(st.code() == Errc::not_found ? Errc::not_found : Errc::corrupt,
                "block " + ptr.id.short_hex());
  }
  return {};
}

Result<BlockPtr> BlockIo::write(ByteView plaintext) {
  SealedBlock s = seal_block(plaintext, convergence_);
  bool full;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = pending_.try_emplace(s.ptr.id, nullptr);
    if (inserted) {
      pending_bytes_ += s.ciphertext.size();
      it->second = std::make_shared<const Bytes>(std::move(s.ciphertext));
    }
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
    writing_ = std::move(pending_);
    pending_.clear();
    pending_bytes_ = 0;
  }
  return write_out(batch);
}

Status BlockIo::write_out(WriteBatch& batch) {
  // writing_ is only touched under write_mu_ besides lookups, so reading it unlocked here is
  // safe: readers take mu_ and find the same shared buffers.
  batch.blocks.reserve(writing_.size());
  for (auto& [id, data] : writing_) batch.blocks.push_back({id, *data});
  Status st = store_.write(batch);
  std::lock_guard lock(mu_);
  if (!st) {
    // Keep them queued: the next commit retries and reports the error to fsync.
    for (auto& [id, data] : writing_)
      if (pending_.try_emplace(id, data).second) pending_bytes_ += data->size();
  }
  writing_.clear();
  return st;
}

Status BlockIo::commit(const VolumeId& volume, const std::vector<Bytes>& heads) {
  std::lock_guard wlock(write_mu_);
  WriteBatch batch;
  {
    std::lock_guard lock(mu_);
    writing_ = std::move(pending_);
    pending_.clear();
    pending_bytes_ = 0;
  }
  batch.heads.emplace_back(volume, heads);
  return write_out(batch);
}

size_t BlockIo::pending_bytes() const {
  std::lock_guard lock(mu_);
  return pending_bytes_;
}

}  // namespace peerstore
