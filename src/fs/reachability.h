// Reachability: marks every block a version of a volume reaches, for the collector
// (docs/lifecycle.md, Local collection): the head's own block, its root block, the inode
// table's nodes, and each inode record's content (a file's chunk tree, a directory's trie).
// A node block already marked is not walked again: blocks are content addressed, so the same
// id is the same subtree, and marking many versions costs their distinct blocks, not their
// sum. A block that is missing or does not open ends the walk with its error: a collection
// that could not mark everything must sweep nothing. Not thread-safe; reads through the
// volume's BlockIo, which is.
#pragma once

#include <functional>

#include "fs/inode_record.h"
#include "fs/mark_set.h"
#include "fs/volume.h"

namespace peerstore {

// What a walk of a version reports: each block with children (the root block, tree nodes),
// whose subtree it enters only when `interior` returns true, and each block without (the head's
// own block, chunks).
struct BlockVisitor {
  std::function<bool(const BlockId& id)> interior;
  std::function<void(const BlockId& id)> leaf;
};
// Walks what the version `head` of `volume` reaches.
Status visit_version(Volume& volume, const Head& head, const BlockVisitor& visit);
// Walks the content of one inode record.
Status visit_content(BlockIo& io, const InodeRecord& rec, const BlockVisitor& visit);

// Marks what the version `head` of `volume` reaches.
Status mark_version(Volume& volume, const Head& head, MarkSet& marks);
// Marks the content of one inode: for files that are open but unlinked, which only memory
// still names.
Status mark_content(BlockIo& io, const InodeRecord& rec, MarkSet& marks);

}  // namespace peerstore
