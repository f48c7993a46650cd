// NodeTable: the inode table of a volume (a TrieMap keyed by inode number) and the nodes loaded
// from it. Hands out Node pointers that stay valid until the node is evicted, which happens only
// in sweep() to nodes nobody references. Not thread-safe: the FileSystem lock guards it.
#pragma once

#include <functional>
#include <unordered_map>
#include <unordered_set>

#include "fs/node.h"

namespace peerstore {

class NodeTable {
 public:
  static constexpr uint64_t kRootIno = 1;  // FUSE's root node id

  NodeTable(BlockIo& io, std::optional<BlockPtr> table_root);

  // The node, loaded on first use; Errc::not_found if the table has no such inode.
  Result<Node*> get(uint64_t ino);
  // The node if loaded, else null; never touches the store.
  Node* find_loaded(uint64_t ino) {
    auto it = nodes_.find(ino);
    return it == nodes_.end() ? nullptr : it->second.get();
  }
  // A new node with a fresh random inode number, not yet in the table.
  Result<Node*> create(InodeRecord rec);
  // Loads a node with a chosen number (the root of a new volume). Errc::exists if the number is
  // loaded, unless `revive` and that node was removed (unlinked, not yet swept): it then takes
  // the new record.
  Status adopt(InodeRecord rec, bool revive = false);
  void mark_dirty(Node& n);
  // Removes the record from the table; the node stays loaded while referenced.
  Status unlink(Node& n);
  // Makes sure a file's chunk tree / a directory's trie is loaded.
  Status load_content(Node& n);

  // Persists every dirty node's record (after `flush_content` sealed its content) and seals
  // the table. Returns the new table root.
  Result<std::optional<BlockPtr>> flush(const std::function<Status(Node&)>& flush_content);
  // Moves to another committed table (live sync): every loaded node takes its record there
  // (an unlinked one too: a merge can bring it back), or becomes unlinked if it has none. Call with
  // no dirty node (right after a commit).
  Status reset(const std::optional<BlockPtr>& table_root);
  // Evicts clean nodes that neither the kernel nor an open file references.
  void sweep();
  // Calls `fn` on every loaded node.
  void for_each_loaded(const std::function<void(const Node&)>& fn) const {
    for (auto& [ino, n] : nodes_) fn(*n);
  }

  // The table's key of an inode (its TrieMap position is the number itself).
  static Bytes key_of(uint64_t ino);

 private:
  void open_table(const std::optional<BlockPtr>& root);
  BlockIo& io_;
  std::unique_ptr<TrieMap> table_;
  std::unordered_map<uint64_t, std::unique_ptr<Node>> nodes_;
  std::unordered_set<uint64_t> dirty_;
};

}  // namespace peerstore
