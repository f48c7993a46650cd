// Node: an inode loaded in memory: its record plus what the kernel and open files hold of it,
// and its content structures once touched. Owned by NodeTable; guarded by the FileSystem lock.
#pragma once

#include <memory>

#include "fs/chunk_tree.h"
#include "fs/inode_record.h"
#include "fs/trie_map.h"

namespace peerstore {

struct Node {
  InodeRecord rec;
  uint64_t nlookup = 0;  // kernel references (lookup counts, see FUSE forget)
  uint32_t open_count = 0;
  bool dirty = false;       // rec or content changed since the last commit
  bool unlinked = false;    // nlink reached 0: gone from the table, alive while referenced
  uint64_t last_write = 0;  // FileSystem's write count at this file's last write
  std::unique_ptr<ChunkTree> chunks;  // regular files with chunked content, once loaded
  std::unique_ptr<TrieMap> dir;       // directories, once loaded

  uint64_t ino() const { return rec.ino; }
  // Content in chunks rather than inline: once a file has a chunk tree, or grew past the
  // inline limit (possibly as one big hole, with no tree at all).
  bool chunked() const {
    return rec.is_file() &&
           (rec.root.has_value() || chunks != nullptr || rec.size > InodeRecord::kInlineMax);
  }
};

}  // namespace peerstore
