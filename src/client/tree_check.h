// `peerstore fsck`: reads every directory, file and symbolic link below a path of the user's
// tree through the FileSystem, as the user's programs would, and reports each one that does not
// read back: a block that is neither on this computer nor on the network, or one that does not
// open (damaged, or altered by whoever served it). Reading through the FileSystem checks what
// matters to the user, every byte and name, with the same code that serves them. A file with
// several names is read once. Run on the calling thread; `stop` is checked between entries.
// Thread-safe as the FileSystem is.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "fs/file_system.h"

namespace peerstore::client {

struct CheckCounts {
  uint64_t dirs = 0, files = 0, symlinks = 0, others = 0;
  uint64_t bytes = 0;  // file content read
};

struct Damage {
  std::string path;
  std::string error;  // what reading it said
};

struct CheckReport {
  CheckCounts counts;
  std::vector<Damage> damaged;  // in the order found
  bool stopped = false;         // `stop` was set: the rest was not checked
};

struct CheckOptions {
  std::string tree_path = "/";
  std::function<void(const CheckCounts&)> progress;  // after each entry; may be null
  std::function<void(const Damage&)> found;          // as each damage is found; may be null
  const std::atomic<bool>* stop = nullptr;
};

// Errors only for a start that cannot be checked (tree_path missing); damage below it is in
// the report.
Result<CheckReport> check_tree(FileSystem& fs, const CheckOptions& options);

}  // namespace peerstore::client
