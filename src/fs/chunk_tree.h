// ChunkTree: the content of a large file as fixed-size chunks under a radix tree of pointer
// blocks (1024 pointers per node, nil for holes, so sparse files cost nothing). In memory the
// chunk pointers of a file sit in one sorted map; interior nodes are remembered by position
// while clean, so flush() re-seals only the nodes above changed chunks. Not thread-safe: the
// owner serializes access.
//
// depth 0: the root is chunk 0 itself; depth d >= 1: the root is a node covering 1024^d
// chunks. Node format (msgpack): [level, [child(bin64 BlockPtr) | nil, ...]].
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "fs/block_io.h"
#include "fs/chunk_patch.h"

namespace peerstore {

class ChunkTree {
 public:
  static constexpr size_t kChunkSize = 64 << 10;
  static_assert(ChunkPatch::kChunk == kChunkSize);
  static constexpr int kFanoutBits = 10;
  static constexpr uint32_t kMaxDepth = 5;

  // A chunk: its sealed block, and while changed since, either a full-size plaintext buffer or
  // the segments written over the sealed block (a patch; never both). Bytes past end of file
  // in a buffer or a patch are always zero. Both are shared with sealers running outside the
  // owner's lock: modify one only when use_count() == 1, else copy it first.
  struct Slot {
    std::optional<BlockPtr> ptr;
    std::shared_ptr<Bytes> buf;
    std::shared_ptr<ChunkPatch> patch;
    bool dirty() const { return buf || patch; }
  };

  explicit ChunkTree(BlockIo& io) : io_(io) {}

  Status load(const std::optional<BlockPtr>& root, uint32_t depth);

  const Slot* find(uint64_t idx) const;
  // The slot to change; dirties the nodes above it.
  Slot& at(uint64_t idx);
  // Makes chunk `idx` a hole.
  void erase(uint64_t idx) {
    invalidate(idx);
    slots_.erase(idx);
  }
  // Drops every chunk from `idx` on.
  void erase_from(uint64_t idx);
  // Dirties nodes above `idx` after the caller changed a slot through other means.
  void invalidate(uint64_t idx);
  const std::map<uint64_t, Slot>& slots() const { return slots_; }
  size_t chunk_count() const { return slots_.size(); }

  // Seals every changed chunk (trimmed to `file_size`) and the dirty nodes.
  // Returns the new root (nullopt when the file has no chunks) and depth.
  Result<std::pair<std::optional<BlockPtr>, uint32_t>> flush(uint64_t file_size);

  // Visits every block of the tree (root, depth) as a record stores it, top down:
  // `enter(node)` for each interior node, whose subtree is skipped when it returns false, and
  // `chunk` for each chunk under the nodes entered. Holds one path in memory. For the
  // collector's mark (fs/reachability.h).
  static Status walk(BlockIo& io, const std::optional<BlockPtr>& root, uint32_t depth,
                     const std::function<bool(const BlockPtr& node)>& enter,
                     const std::function<void(const BlockPtr& chunk)>& chunk);

 private:
  // The children of a node at `level` (nil for holes).
  static Result<std::vector<std::optional<BlockPtr>>> read_node(BlockIo& io, const BlockPtr& p,
                                                                int level);
  static Status walk_node(BlockIo& io, const BlockPtr& p, int level,
                          const std::function<bool(const BlockPtr& node)>& enter,
                          const std::function<void(const BlockPtr& chunk)>& chunk);
  Status load_node(const BlockPtr& p, int level, uint64_t index);
  Result<std::optional<BlockPtr>> build(int level, uint64_t index);
  bool any_in(uint64_t first, uint64_t last) const;

  BlockIo& io_;
  std::map<uint64_t, Slot> slots_;
  std::map<std::pair<int, uint64_t>, BlockPtr> clean_;  // sealed interior nodes by (level, index)
  uint32_t depth_ = 0;
};

}  // namespace peerstore
