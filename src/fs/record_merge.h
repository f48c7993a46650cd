// Three-way merge of one inode record's fields, and the names of conflict copies: the pieces
// of a tree merge that look at one record or one name at a time. Stateless functions;
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "fs/inode_record.h"

namespace peerstore {

// The content of a record: what a write changes (size, inline bytes, chunk tree or directory
// trie). Two records with equal content hold the same bytes.
bool same_content(const InodeRecord& a, const InodeRecord& b);

// Merges `w` and `l`, both changed from `base`, field by field: a field changed on one side only
// takes that side's value; changed on both, times take the later, everything else (and the
// content, which the caller settles when both sides changed it) takes `w`, the winner's. Xattrs
// merge per name the same way. nlink, entries and a directory's root are the caller's to fix.
InodeRecord merge_fields(const InodeRecord& base, const InodeRecord& w, const InodeRecord& l);

// NAME.conflict-DEVICE-YYYYMMDD-HHMMSS.EXT (the extension after the last dot that is not the
// first character), in UTC; `attempt` > 0 appends "-N" before the extension, for a name taken.
// Cut to NAME_MAX bytes by shortening NAME.
std::string conflict_name(std::string_view name, std::string_view device, int64_t time_ns,
                          int attempt = 0);

}  // namespace peerstore
