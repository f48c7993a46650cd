#include "fs/reachability.h"

#include "fs/chunk_tree.h"
#include "fs/trie_map.h"

namespace peerstore {

namespace {

BlockVisitor marking(MarkSet& marks) {
  return BlockVisitor{[&marks](const BlockId& id) { return marks.mark_interior(id); },
                      [&marks](const BlockId& id) { marks.mark_leaf(id); }};
}

}  // namespace

Status visit_content(BlockIo& io, const InodeRecord& rec, const BlockVisitor& visit) {
  if (!rec.root) return {};
  auto enter = [&](const BlockPtr& node) { return visit.interior(node.id); };
  if (rec.is_dir())  // entries name inodes, not blocks
    return TrieMap::walk(io, *rec.root, enter,
                         [](uint64_t, ByteView, ByteView) -> Status { return {}; });
  if (rec.is_file())
    return ChunkTree::walk(io, rec.root, rec.depth, enter,
                           [&](const BlockPtr& chunk) { visit.leaf(chunk.id); });
  return fail(Errc::corrupt, "inode " + std::to_string(rec.ino) + " of a kind with no content " +
                                 "has a content pointer");
}

Status visit_version(Volume& volume, const Head& head, const BlockVisitor& visit) {
  visit.leaf(head.hash());  // stored as a block under its hash (Volume::write_head)
  PS_ASSIGN(BlockPtr root, head.open_root(volume.keys().read_key));
  if (!visit.interior(root.id)) return {};  // this version's tree is visited already
  PS_ASSIGN(std::optional<BlockPtr> table, volume.table_of(head));
  if (!table) return {};
  BlockIo& io = volume.io();
  return TrieMap::walk(
      io, *table, [&](const BlockPtr& node) { return visit.interior(node.id); },
      [&](uint64_t, ByteView, ByteView value) -> Status {
        PS_ASSIGN(InodeRecord rec, InodeRecord::decode(value));
        return visit_content(io, rec, visit);
      });
}

Status mark_content(BlockIo& io, const InodeRecord& rec, MarkSet& marks) {
  return visit_content(io, rec, marking(marks));
}

Status mark_version(Volume& volume, const Head& head, MarkSet& marks) {
  return visit_version(volume, head, marking(marks));
}

}  // namespace peerstore
