// MarkSet: the blocks a collection found reachable (docs/lifecycle.md, Local collection).
// Interior blocks (those with children: tree nodes, root blocks) are kept exactly, and a walk
// skips a subtree only on an exact hit. Leaves (chunks, head blocks) are kept by the first 8
// bytes of their id, 8 bytes each, so the marks of 1 TiB of distinct 64 KiB chunks take
// 128 MiB: a prefix collision makes a dead leaf look marked, which keeps it (safe) and never
// skips anything. Not thread-safe.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "store/block_store.h"

namespace peerstore {

class MarkSet {
 public:
  // Marks a block with children; true if it was not marked yet (its children need a walk).
  bool mark_interior(const BlockId& id) { return interior_.insert(id).second; }
  // Marks a block without children.
  void mark_leaf(const BlockId& id);
  // Sorts the leaf marks: call after the last mark, before many may_contain.
  void seal();
  // Whether the block may be reachable: an exact interior mark, or a leaf's prefix.
  bool may_contain(const BlockId& id) const;
  size_t interior_count() const { return interior_.size(); }
  size_t leaf_count() const { return leaves_.size(); }  // after seal: distinct prefixes

 private:
  static uint64_t prefix(const BlockId& id);

  std::unordered_set<BlockId, Id256Hash> interior_;
  std::vector<uint64_t> leaves_;  // sorted and unique once sealed
  bool sealed_ = false;
};

}  // namespace peerstore
