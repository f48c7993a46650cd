// Directory entries over a TrieMap: name -> (inode, type). Entries are placed by a 62-bit
// SipHash of the name, which is also the readdir cookie, so listing order is hash order (as on
// ext4 with htree) and stable while entries come and go. Stateless helpers; the caller
// serializes access to the map.
#pragma once

#include <string_view>

#include "fs/trie_map.h"

namespace peerstore {

struct DirEntry {
  uint64_t ino = 0;
  uint8_t type = 0;  // DT_* value
  bool operator==(const DirEntry&) const = default;
};

uint64_t name_pos(std::string_view name);

Result<std::optional<DirEntry>> dir_lookup(TrieMap& dir, std::string_view name);
Status dir_insert(TrieMap& dir, std::string_view name, const DirEntry& e);
Result<bool> dir_remove(TrieMap& dir, std::string_view name);
using DirVisitor = std::function<bool(uint64_t pos, std::string_view name, const DirEntry& e)>;
Status dir_scan(TrieMap& dir, uint64_t from_pos, const DirVisitor& fn);

}  // namespace peerstore
