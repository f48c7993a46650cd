// Extended attributes between local files and the user's tree, for backup and restore. A
// copy's set becomes exactly the source's: names the source lacks are removed. Attributes the
// other side cannot take (system.* ACLs on a file system without them, security.* without
// privilege) are reported, and the rest are still copied. Thread-safe as the FileSystem is.
#pragma once

#include <string>

#include "fs/file_system.h"

namespace peerstore::client {

// False with *why (one line) if some attribute could not be copied.
bool copy_xattrs_to_tree(const std::string& src, FileSystem& fs, uint64_t ino, std::string* why);
bool copy_xattrs_from_tree(FileSystem& fs, uint64_t ino, const std::string& dest, std::string* why);

}  // namespace peerstore::client
