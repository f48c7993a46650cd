#include "fs/node_table.h"

#include <sodium.h>

namespace peerstore {

NodeTable::NodeTable(BlockIo& io, std::optional<BlockPtr> table_root) : io_(io) {
  open_table(table_root);
}

void NodeTable::open_table(const std::optional<BlockPtr>& root) {
  table_ = root ? std::make_unique<TrieMap>(io_, *root) : std::make_unique<TrieMap>(io_);
}

Status NodeTable::reset(const std::optional<BlockPtr>& table_root) {
  open_table(table_root);
  dirty_.clear();
  for (auto& [ino, n] : nodes_) {
    n->dirty = false;
    PS_ASSIGN(auto value, table_->get(ino, key_of(ino)));
    if (!value) {  // gone there: stays loaded (and its content readable) while referenced
      n->unlinked = true;
      n->rec.nlink = 0;
      continue;
    }
    // Back (a merge kept it, changed elsewhere) or changed: the table's version, and content
    // structures that reload from it on next use.
    n->unlinked = false;
    n->chunks.reset();
    n->dir.reset();
    PS_ASSIGN(auto rec, InodeRecord::decode(*value));
    if (rec.ino != ino) return fail(Errc::corrupt, "inode table entry names another inode");
    n->rec = std::move(rec);
  }
  return {};
}

Bytes NodeTable::key_of(uint64_t ino) {
  Bytes k(8);
  put_u64be(k.data(), ino);
  return k;
}

Result<Node*> NodeTable::get(uint64_t ino) {
  if (auto it = nodes_.find(ino); it != nodes_.end()) return it->second.get();
  PS_ASSIGN(auto value, table_->get(ino, key_of(ino)));
  if (!value) return fail(Errc::not_found, "inode " + std::to_string(ino));
  PS_ASSIGN(auto rec, InodeRecord::decode(*value));
  if (rec.ino != ino) return fail(Errc::corrupt, "inode table entry names another inode");
  auto node = std::make_unique<Node>();
  node->rec = std::move(rec);
  Node* n = node.get();
  nodes_.emplace(ino, std::move(node));
  return n;
}

Result<Node*> NodeTable::create(InodeRecord rec) {
  // Random 64-bit numbers: stable across mounts and computers, collisions checked anyway.
  for (int attempt = 0; attempt < 16; ++attempt) {
    uint64_t ino;
    randombytes_buf(&ino, sizeof ino);
    // Positive for tools that use a signed ino_t; MountTree gives the numbers above 2^63 to
    // the inodes of linked volumes.
    ino &= (uint64_t(1) << 63) - 1;
    if (ino <= kRootIno || nodes_.count(ino)) continue;
    PS_ASSIGN(auto existing, table_->get(ino, key_of(ino)));
    if (existing) continue;
    rec.ino = ino;
    auto node = std::make_unique<Node>();
    node->rec = std::move(rec);
    node->dirty = true;
    Node* n = node.get();
    nodes_.emplace(ino, std::move(node));
    dirty_.insert(ino);
    return n;
  }
  return fail(Errc::no_space, "no free inode number");
}

Status NodeTable::adopt(InodeRecord rec, bool revive) {
  uint64_t ino = rec.ino;
  if (auto it = nodes_.find(ino); it != nodes_.end()) {
    Node& n = *it->second;
    if (!revive || !n.unlinked) return fail(Errc::exists, "inode " + std::to_string(ino));
    // Removed but not swept yet (the kernel may still hold its number): the same number comes
    // back with the new record; lookups and opens counted on it stay counted.
    n.rec = std::move(rec);
    n.unlinked = false;
    n.dir.reset();
    n.chunks.reset();
    mark_dirty(n);
    return {};
  }
  auto node = std::make_unique<Node>();
  node->rec = std::move(rec);
  node->dirty = true;
  nodes_.emplace(ino, std::move(node));
  dirty_.insert(ino);
  return {};
}

void NodeTable::mark_dirty(Node& n) {
  n.dirty = true;
  dirty_.insert(n.ino());
}

Status NodeTable::unlink(Node& n) {
  n.unlinked = true;
  PS_TRY(table_->erase(n.ino(), key_of(n.ino())));
  return {};
}

Status NodeTable::load_content(Node& n) {
  if (n.rec.is_dir() && !n.dir) {
    n.dir =
        n.rec.root ? std::make_unique<TrieMap>(io_, *n.rec.root) : std::make_unique<TrieMap>(io_);
  } else if (n.rec.is_file() && !n.chunks && n.rec.root) {
    auto t = std::make_unique<ChunkTree>(io_);
    PS_TRY(t->load(n.rec.root, n.rec.depth));
    n.chunks = std::move(t);
  }
  return {};
}

Result<std::optional<BlockPtr>> NodeTable::flush(
    const std::function<Status(Node&)>& flush_content) {
  for (uint64_t ino : dirty_) {
    auto it = nodes_.find(ino);
    if (it == nodes_.end()) continue;
    Node& n = *it->second;
    if (n.unlinked) {
      n.dirty = false;
      continue;
    }
    PS_TRY(flush_content(n));
    PS_TRY(table_->put(ino, key_of(ino), n.rec.encode()));
    n.dirty = false;
  }
  dirty_.clear();
  return table_->flush();
}

void NodeTable::sweep() {
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    Node& n = *it->second;
    bool unused = n.ino() != kRootIno && n.nlookup == 0 && n.open_count == 0;
    if (unused && (!n.dirty || n.unlinked))
      it = nodes_.erase(it);
    else
      ++it;
  }
}

}  // namespace peerstore
