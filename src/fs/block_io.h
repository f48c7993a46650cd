// BlockIo: sealed-block reads and writes of one volume over a LocalStore, with a write-behind
// buffer. New blocks are sealed by the caller's thread and held in memory until the buffer
// passes kSpillBytes (written in one batch) or the next commit, which writes the rest together
// with the head in one transaction. Blocks with no head pointing at them after a crash are
// harmless garbage. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <unordered_map>

#include "keys/block_cipher.h"
#include "store/local_store.h"

namespace peerstore {

class BlockIo {
 public:
  static constexpr size_t kSpillBytes = 8 << 20;

  BlockIo(LocalStore& store, const Secret& convergence)
      : store_(store), convergence_(convergence) {}

  // Fetches and opens a block; Errc::corrupt (and one log line naming the block) if it fails to
  // authenticate, Errc::not_found if missing.
  Result<Bytes> read(const BlockPtr& ptr);
  // Copies plaintext bytes [lo, min(hi, length)) of a block to `out`; sets *copied. Opens the
  // block straight from the store's memory where it can.
  Status read_range(const BlockPtr& ptr, size_t lo, size_t hi, uint8_t* out, size_t* copied);
  // Seals `plaintext` and queues the block for the next write; returns its pointer.
  Result<BlockPtr> write(ByteView plaintext);
  // Writes every queued block and the volume's new head set in one durable transaction.
  Status commit(const VolumeId& volume, const std::vector<Bytes>& heads);
  size_t pending_bytes() const;

 private:
  Status spill();
  Status write_out(WriteBatch& batch);
  using Shared = std::shared_ptr<const Bytes>;
  Shared queued(const BlockId& id) const;
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn);

  LocalStore& store_;
  const Secret& convergence_;
  mutable std::mutex mu_;  // guards pending_, pending_bytes_, writing_
  std::unordered_map<BlockId, Shared, Id256Hash> pending_;
  size_t pending_bytes_ = 0;
  // Blocks handed to the store but not yet committed by it, still readable.
  std::unordered_map<BlockId, Shared, Id256Hash> writing_;
  // Orders store writes: a commit waits for an earlier spill so a head never lands before
  // the blocks it names.
  std::mutex write_mu_;
};

}  // namespace peerstore
