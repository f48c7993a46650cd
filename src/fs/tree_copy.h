// copy_tree: the whole tree of one volume written anew into another, through the file
// systems' own operations: every file's content is read from one and written to the other, so
// it is sealed under the second volume's keys, and nothing of the first (no block, no key)
// is reused. A revoke rotates a shared volume this way (docs/sharing.md, Revoke): the revoked
// user holds every old chunk key, so the current tree must be encrypted again.
// Directories, regular files (holes stay holes), symlinks, hard links, fifos and device nodes,
// with modes, owners, access and modification times and extended attributes; the inode
// numbers are new. Runs on the calling thread; both file systems do their own locking.
#pragma once

#include <functional>

#include "fs/file_system.h"

namespace peerstore {

struct CopyStats {
  uint64_t dirs = 0, files = 0, symlinks = 0, hard_links = 0, specials = 0, bytes = 0;
};

// `to` must be a new volume's file system (an empty root). Stops at the first error, which
// names the path; `to` then holds part of the tree and is the caller's to discard.
Result<CopyStats> copy_tree(FileSystem& from, FileSystem& to);

}  // namespace peerstore
