// TrieMap: a copy-on-write map stored as a tree of sealed blocks, keyed by a 64-bit position
// (a hash, or an inode number, uniform in its high bits) plus the exact key bytes. Leaves hold
// entries sorted by (pos, key); a leaf that outgrows kMaxLeafBytes becomes a 256-way node
// branching on the next byte of pos. Nodes load lazily; a change dirties only its path, and
// flush() seals only dirty nodes, so an update rewrites O(log n) blocks. Used for the inode
// table and for directories. Not thread-safe: the owner serializes access.
//
// Node format (msgpack): leaf [0, [[pos, key(bin), value(bin)], ...]],
//                        branch [1, [child(bin64 BlockPtr) | nil] x 256].
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <optional>

#include "fs/block_io.h"

namespace peerstore {

class TrieMap {
 public:
  static constexpr size_t kMaxLeafBytes = 48 << 10;
  static constexpr int kMaxDepth = 8;  // one byte of pos per level

  explicit TrieMap(BlockIo& io);               // empty
  TrieMap(BlockIo& io, const BlockPtr& root);  // loads lazily
  ~TrieMap();
  TrieMap(const TrieMap&) = delete;
  TrieMap& operator=(const TrieMap&) = delete;

  Result<std::optional<Bytes>> get(uint64_t pos, ByteView key);
  Status put(uint64_t pos, ByteView key, ByteView value);
  Result<bool> erase(uint64_t pos, ByteView key);  // false if absent
  // Visits entries with pos >= from in (pos, key) order until fn returns false.
  using Visitor = std::function<bool(uint64_t pos, ByteView key, ByteView value)>;
  Status scan(uint64_t from, const Visitor& fn);
  // Seals dirty nodes; returns the root pointer, or nullopt when the map is empty.
  Result<std::optional<BlockPtr>> flush();
  bool dirty() const;

  // Calls fn for every (pos, key) whose value differs between the maps rooted at `a` and `b`
  // (a null value for the side without it), in (pos, key) order; stops at fn's first error.
  // Subtrees the two maps share (the same block) are skipped, so the cost grows with the
  // difference, not with the maps. Used by merges and to tell the kernel what changed.
  using DiffVisitor =
      std::function<Status(uint64_t pos, ByteView key, const Bytes* a, const Bytes* b)>;
  static Status diff(BlockIo& io, const std::optional<BlockPtr>& a,
                     const std::optional<BlockPtr>& b, const DiffVisitor& fn);

  // Visits every block of the map rooted at `root`, top down: `enter(node)` for each node,
  // whose subtree is skipped when it returns false, and `fn` for the entries of the leaves
  // entered; stops at fn's first error. Holds one root-to-leaf path in memory. For the
  // collector's mark (fs/reachability.h).
  using WalkVisitor = std::function<Status(uint64_t pos, ByteView key, ByteView value)>;
  static Status walk(BlockIo& io, const BlockPtr& root,
                     const std::function<bool(const BlockPtr& node)>& enter, const WalkVisitor& fn);

 private:
  struct Entry {
    uint64_t pos;
    Bytes key;
    Bytes value;
  };
  struct Node {
    std::optional<BlockPtr> ptr;  // set while clean and sealed
    bool loaded = false;
    bool leaf = true;
    std::vector<Entry> entries;                   // leaf
    std::array<std::unique_ptr<Node>, 256> kids;  // branch; null = empty
    size_t bytes = 0;                             // leaf: encoded size estimate
  };

  Status load(Node& n);
  Status split(Node& n, int depth);
  Status scan_node(Node& n, int depth, uint64_t from, const Visitor& fn, bool& stop);
  Status walk_node(Node& n, const std::function<bool(const BlockPtr& node)>& enter,
                   const WalkVisitor& fn);
  Result<std::optional<BlockPtr>> flush_node(Node& n);
  Status collect(Node& n, std::vector<Entry>& out);
  static Status diff_nodes(TrieMap& ta, Node* a, TrieMap& tb, Node* b, int depth,
                           const DiffVisitor& fn);
  static int slot(uint64_t pos, int depth) { return int((pos >> (56 - 8 * depth)) & 0xff); }

  BlockIo& io_;
  std::unique_ptr<Node> root_;
};

}  // namespace peerstore
