// TreeSnapshot: everything observable about a directory tree (per path: lstat fields, symlink
// target, user.* xattrs, content digest, directory listing), to compare a tree before and
// after an unmount, a signal or a crash. Also populate_sample_tree(), a tree that uses every
// kind of node and attribute. Uses doctest assertions: test thread only. Not thread-safe.
#pragma once

#include <sys/stat.h>

#include <map>
#include <string>
#include <vector>

namespace peerstore::test {

struct NodeState {
  struct stat st {};
  std::string link_target;                    // symlinks
  std::map<std::string, std::string> xattrs;  // user.* only
  std::string digest;                         // regular files: BLAKE2b of the content
  std::vector<std::string> entries;           // directories: sorted names
};
// Keyed by path relative to the root ("" is the root itself).
using TreeSnapshot = std::map<std::string, NodeState>;

// Takes a snapshot of everything under `root`. Reads happen in an order that keeps atimes
// comparable whatever the file system's atime policy: with `known` (an earlier snapshot of the
// same tree) every known path is lstat'ed before anything is read; without it, lstat comes
// after all reads.
TreeSnapshot snapshot_tree(const std::string& root, const TreeSnapshot* known = nullptr);

// Human-readable differences ("" if none). Compares type, mode, uid, gid, size, nlink, inode
// number, rdev, mtime and ctime to the nanosecond, atime if asked, targets, xattrs, contents and
// listings.
std::string compare_snapshots(const TreeSnapshot& before, const TreeSnapshot& after,
                              bool compare_atime = true);

// Builds a tree under `root` (which must exist and be empty) with: an empty file; files of
// 100, 4096, 4097, 65536, 65537 and 300000 bytes; a 1 GiB sparse file; set-uid and odd modes;
// nested directories; short, 4000-byte and dangling symlinks; three hard links; xattrs (one of
// 4 KiB); a FIFO; explicit nanosecond times; and, as root, other owners and a device node.
void populate_sample_tree(const std::string& root, uint64_t seed);

}  // namespace peerstore::test
