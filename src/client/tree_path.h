// Path-level access to a FileSystem for the commands that work on the user's tree without a
// mount (peerstore backup, restore, getfile, ls): resolving "/a/b/c" to an inode, creating a
// chain of directories, removing a subtree, and turning the FileSystem's errnos into Errors
// that name the path. A client's FileSystem lives for one command, so lookup counts are not
// given back. Thread-safe as the FileSystem is.
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "fs/file_system.h"
#include "fs/node_table.h"

namespace peerstore::client {

// "what: strerror(err)", with the Errc a caller can branch on (ENOENT: not_found...).
Error fs_error(int err, const std::string& what);

// The components of an absolute or relative tree path ("/a//b/" -> {"a", "b"}); "." and ".."
// are refused (invalid): tree paths are given in full.
Result<std::vector<std::string>> split_tree_path(std::string_view path);
// Joins a tree directory and a name ("/" + "a" -> "/a", "/a" + "b" -> "/a/b").
std::string tree_join(const std::string& dir, std::string_view name);

// The inode at `path` (not_found when a component is missing, invalid when a middle one is not
// a directory).
Result<uint64_t> resolve(FileSystem& fs, std::string_view path);
// The directory at `path`, creating missing components (mode 0755, owned by `caller`).
Result<uint64_t> make_dirs(FileSystem& fs, const Caller& caller, std::string_view path);
// Removes `name` from `parent`, a whole subtree if it is a directory.
Status remove_tree(FileSystem& fs, uint64_t parent, const std::string& name);

struct TreeEntry {
  std::string name;
  struct stat st {};  // full attributes
};
// The entries of directory `dir` without "." and "..", in the directory's order.
Result<std::vector<TreeEntry>> list_dir(FileSystem& fs, uint64_t dir);

}  // namespace peerstore::client
