// InodeRecord: the persisted form of one inode, the value stored in the inode table.
// Small files and symlink targets are inline; larger files point at a chunk tree, directories
// at a TrieMap of entries. Format (msgpack):
//   [1, ino, mode, uid, gid, rdev, nlink, size, atime, mtime, ctime, btime, parent,
//    [[xattr name(bin), value(bin)], ...], inline(bin), root(bin64 | nil), depth, entries]
// with each time as [seconds, nanoseconds]. A volume link (docs/sharing.md, "Mount: several
// volumes in one tree") is version 2: the same fields and one more, the link (bin), the
// encoded GrantContent of the volume it stands for; a link is a directory with no entries of
// its own. Value type; not synchronized.
#pragma once

#include <sys/stat.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "keys/block_cipher.h"

namespace peerstore {

struct InodeRecord {
  // Regular files up to this size keep their bytes in the record.
  static constexpr size_t kInlineMax = 4096;
  // An encoded GrantContent is about 300 bytes; this leaves room for a longer folder name.
  static constexpr size_t kMaxLink = 1024;

  uint64_t ino = 0;
  uint32_t mode = 0;  // st_mode, type bits included
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t rdev = 0;
  uint32_t nlink = 0;
  uint64_t size = 0;
  timespec atime{}, mtime{}, ctime{}, btime{};
  uint64_t parent = 0;  // directories: the containing directory
  std::map<std::string, Bytes> xattrs;
  Bytes inline_data;             // file content when small; symlink target
  std::optional<BlockPtr> root;  // file chunk tree or directory trie
  uint32_t depth = 0;            // chunk tree levels above the chunks
  uint64_t entries = 0;          // directories: number of names
  // A volume link: the keys of the volume this directory stands for (an encoded GrantContent,
  // which this layer does not read). In wiped memory, shared by the record's copies.
  std::shared_ptr<const Secret> link;

  bool is_dir() const { return S_ISDIR(mode); }
  bool is_file() const { return S_ISREG(mode); }
  bool is_symlink() const { return S_ISLNK(mode); }
  bool is_link() const { return link != nullptr; }

  Bytes encode() const;
  static Result<InodeRecord> decode(ByteView bytes);
};

}  // namespace peerstore
