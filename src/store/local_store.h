// LocalStore: a BlockStore and HeadStore on one machine that can write blocks and heads in one
// atomic, durable transaction (a commit). Implementations are thread-safe. One of them has the
// network behind it (TieredStore) and reads through to it: get() of a block it lacks (never
// stored, or erased) may fetch it from the network, and heads() is the set written last together
// with the heads the network holds for the volume (the network keeps a head until a newer one
// dominates it), each once and in no particular order. Its writes, contains(), for_each_id(),
// for_each_volume() and stats() are local, like every other LocalStore's. Conformance suite:
// tests/unit/store/local_store_conformance_test.cc.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include "store/block_store.h"
#include "store/head_store.h"

namespace peerstore {

// A point in a store's write history (LocalStore::write_mark): an erase guarded by it
// (WriteBatch::erase_guard) leaves alone every block written to that store after it. This is
// how one writer erases blocks it judged unneeded while others may be writing the same ids
// anew (an LMDB put of an id already there is a no-op, so nothing else would show it). Hold it
// until the guarded erase is written; a store keeps the history back to its oldest mark.
class WriteMark {
 public:
  virtual ~WriteMark() = default;
};

struct WriteBatch {
  // Blocks to delete, applied before `blocks` (so a batch that erases and stores one id keeps
  // it). Only a bounded cache deletes: blocks are immutable, and a block some head needs must
  // stay somewhere on the network.
  std::vector<BlockId> erase;
  // Set: `erase` skips each block written to this store after the mark (a mark of another
  // store, or one the store could no longer vouch for, erases nothing). Ignored by stores that
  // give no marks.
  std::shared_ptr<const WriteMark> erase_guard;
  std::vector<BlockRecord> blocks;
  std::vector<std::pair<VolumeId, std::vector<Bytes>>> heads;
  // Blocks the commit in this batch names that this device may not have claimed yet, by
  // volume (docs/lifecycle.md, Ring collection): a store with the network behind it
  // (TieredStore) claims them before it publishes the batch's heads; other stores ignore them.
  std::vector<std::pair<VolumeId, std::vector<BlockId>>> claims;
  // false: atomic and crash-consistent, but may be lost in a power cut until the next durable
  // write. Blocks nobody points at yet need no more; heads always do.
  bool durable = true;
  size_t bytes() const {
    size_t n = 0;
    for (auto& b : blocks) n += b.data.size();
    return n;
  }
};

struct StoreStats {
  uint64_t blocks = 0;
  uint64_t block_bytes = 0;
};

// How much a store can still take. `free` is in bytes of blocks (the store's own overhead per
// block taken off, see kBlockOverhead), `total` what the store could hold at most.
struct StoreSpace {
  static constexpr uint64_t kUnbounded = uint64_t(1) << 62;
  uint64_t free = kUnbounded;
  uint64_t total = kUnbounded;
};

class LocalStore : public BlockStore, public HeadStore {
 public:
  // All of the batch or nothing; durable when it returns unless batch.durable is false.
  // A batch that does not fit fails with Errc::no_space before anything is written, and the
  // store keeps working (a smaller batch, or the same once there is room, succeeds).
  virtual Status write(const WriteBatch& batch) = 0;
  virtual Result<StoreStats> stats() = 0;
  // What it can still take: cheap enough to ask before every write of a file system. Stores
  // without a limit (tests' fakes) are unbounded.
  virtual Result<StoreSpace> space() { return StoreSpace{}; }
  // A mark of this point in the store's write history, for guarded erases; none (the default)
  // from a store that has no writers to guard against, whose erases are unconditional. A store
  // that other writers share is wrapped in a CollectingStore, which gives marks.
  virtual std::shared_ptr<const WriteMark> write_mark() { return nullptr; }
  // What storing a block of `size` bytes costs in the worst case: LMDB rounds every large value
  // up to whole 4 KiB pages and copies a leaf page per insert.
  static constexpr uint64_t cost_of_block(uint64_t size) {
    return (size + kPage - 1) / kPage * kPage + kPage;
  }
  static constexpr uint64_t kPage = 4096;

  Status put(std::span<const BlockRecord> blocks) override {
    WriteBatch b;
    b.blocks.assign(blocks.begin(), blocks.end());
    return write(b);
  }
  Status set_heads(const VolumeId& volume, const std::vector<Bytes>& heads) override {
    WriteBatch b;
    b.heads.emplace_back(volume, heads);
    return write(b);
  }
};

}  // namespace peerstore
