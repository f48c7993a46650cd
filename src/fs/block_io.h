// BlockIo: sealed-block reads and writes of one volume over a LocalStore, with a write-behind
// buffer. New blocks are sealed by the caller's thread and queued in memory; every kSpillBytes
// the queue goes to a background writer thread as one store transaction, so sealing and disk
// writes overlap. A commit waits for those batches, then writes what is left together with the
// head in one transaction, so a head never lands before the blocks it names. Blocks with no
// head pointing at them after a crash are harmless garbage. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "keys/block_cipher.h"
#include "store/local_store.h"

namespace peerstore {

class BlockIo {
 public:
  static constexpr size_t kSpillBytes = 8 << 20;
  static constexpr size_t kMaxBatchesInFlight = 2;
  // read_range copies at most this much of a suite 2 block out of the store; a larger range
  // (never a file chunk's) reads through the store's map.
  static constexpr size_t kMaxPartRead = 1 << 20;

  // New blocks are sealed with `suite`; blocks of either suite are read.
  BlockIo(LocalStore& store, const Secret& convergence, BlockSuite suite = default_write_suite());
  ~BlockIo();  // writes out queued batches (not the pending tail: that needs a commit)
  BlockIo(const BlockIo&) = delete;
  BlockIo& operator=(const BlockIo&) = delete;

  // Fetches and opens a block; Errc::corrupt (and one log line naming the block) if it fails to
  // authenticate, Errc::not_found if missing.
  Result<Bytes> read(const BlockPtr& ptr);
  // Copies plaintext bytes [lo, min(hi, length)) of a block to `out`; sets *copied. Of a suite 2
  // block it reads and opens only the 4 KiB segments the range touches (LocalStore::read_part).
  Status read_range(const BlockPtr& ptr, size_t lo, size_t hi, uint8_t* out, size_t* copied);
  // Seals `plaintext` and queues the block; returns its pointer. Blocks briefly when the writer
  // thread is kMaxBatchesInFlight batches behind. A batch the store refused (no_space, I/O
  // errors) stays queued for the next commit; the caller bounds what it queues meanwhile
  // (unstored_cost).
  Result<BlockPtr> write(ByteView plaintext);
  // Queues bytes stored as they are, under their own hash `id` (a head, which storage nodes
  // read anyway: its descendants name it by that hash).
  void write_raw(const BlockId& id, ByteView bytes);
  // Fetches a block stored with write_raw (or any block, unopened).
  Result<Bytes> read_raw(const BlockId& id);
  // Writes every queued block and the volume's new head set in one durable transaction, after
  // every earlier batch, and asks the store to claim every block written since the last commit
  // for this device before it publishes the heads (WriteBatch::claims).
  Status commit(const VolumeId& volume, const std::vector<Bytes>& heads);
  // What the queued blocks will cost the store (LocalStore::cost_of_block each).
  uint64_t unstored_cost() const;
  // What the store can still take beside what the queued blocks will cost it, looked at
  // together. A look while a batch is being written may count that batch twice (once the
  // store has it and before it leaves the queue), never not at all; a `settled` look first
  // waits until no batch is being written, asks the store which queued blocks it has already,
  // and is exact. For deciding on ENOSPC, where the quick look refused.
  struct Room {
    StoreSpace space;
    uint64_t unstored = 0;
  };
  Result<Room> room(bool settled);

 private:
  // Sealed bytes waiting for the store; allocated without zero-filling (sealing overwrites all).
  struct Blob {
    std::shared_ptr<uint8_t[]> data;
    size_t size;
    // The store has the block already (the same chunk sealed twice, by a sealer and a commit,
    // or the same content written again): writing it again costs nothing, so it is not counted
    // as unstored. Not looked up when the block is queued: a lookup through the store's map
    // faults in its pages, which then have to be released (MapBudget), and most new blocks are
    // new. Until a settled look asks (room), a block counts as unstored: an over-count, which
    // only makes the quick look ask for a settled one sooner. Guarded by mu_.
    mutable bool stored = false;
    mutable bool looked_up = false;
    ByteView view() const { return {data.get(), size}; }
    uint64_t cost() const { return stored ? 0 : LocalStore::cost_of_block(size); }
  };
  using Shared = std::shared_ptr<const Blob>;
  using Batch = std::unordered_map<BlockId, Shared, Id256Hash>;

  Shared queued(const BlockId& id) const;
  uint64_t unstored_cost_locked() const;
  // Asks the store whether it has each queued block not yet asked about (Blob::stored).
  void look_up_queued_locked();
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn);
  Status write_batch(const Batch& blocks, const VolumeId* volume, const std::vector<Bytes>* heads,
                     std::vector<BlockId> claims = {});
  void writer_loop();

  LocalStore& store_;
  const Secret& convergence_;
  const BlockSuite suite_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  Batch pending_;
  size_t pending_bytes_ = 0;
  uint64_t pending_cost_ = 0;
  std::deque<Batch> in_flight_;  // front is being written; all stay readable until written
  // Every block written since the last commit, which the next commit claims for this device
  // (WriteBatch::claims; docs/lifecycle.md). A block written again after a spill is listed
  // twice; the commit lists it once.
  std::vector<BlockId> written_;
  bool committing_ = false;  // a commit owns the front batch of in_flight_
  bool writing_ = false;     // the writer thread is writing the front batch of in_flight_
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace peerstore
