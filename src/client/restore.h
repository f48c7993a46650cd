// restore() brings a directory of the user's tree back to local disk (`peerstore restore`):
// files, directories, symlinks, hard links, fifos and (as root) device nodes, with modes, times,
// extended attributes, and owners where the process may set them. get_file() brings one file
// back (`peerstore getfile`). Both read through the FileSystem, so blocks this computer lacks
// are fetched from the ring. A file whose content cannot be read is reported and left out (no
// partial file is left under its name); the rest goes on. Runs on the calling thread; `stop` is
// checked between entries.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "common/result.h"
#include "fs/file_system.h"

namespace peerstore::client {

struct RestoreOptions {
  std::string tree_path;  // a directory (or a file) of the tree
  // Created; it may exist only as an empty directory, which then receives the contents.
  std::string dest;
  const std::atomic<bool>* stop = nullptr;
  std::function<void(uint64_t files, uint64_t bytes)> progress;  // after each file
  std::function<void(const std::string&)> problem;               // one line per entry left out
};

struct RestoreResult {
  uint64_t files = 0, dirs = 0, symlinks = 0, hard_links = 0, specials = 0;
  uint64_t bytes = 0, problems = 0;
  bool stopped = false;
};

Result<RestoreResult> restore(FileSystem& fs, const RestoreOptions& options);

// The regular file at `tree_path` to `dest` (into it, under the file's name, if `dest` is a
// directory), written under a temporary name and renamed into place, with its mode and times.
// Returns the bytes written; *warning (if given) says which attributes could not be restored.
Result<uint64_t> get_file(FileSystem& fs, const std::string& tree_path, const std::string& dest,
                          std::string* warning = nullptr);

}  // namespace peerstore::client
