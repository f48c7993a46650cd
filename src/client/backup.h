// backup(): stores a local directory into the user's tree (`peerstore backup DIR`), as a
// mirror of what DIR holds now: regular files, directories, symlinks, hard links, fifos and
// device nodes, with modes, owners, times and extended attributes; entries gone from DIR are
// removed from its copy (the volume's history keeps what was there). Incremental:
// - a file whose SourceStamp matches the index, and whose copy in the tree has its size, is
//   not read at all;
// - any other file is compared with its copy chunk by chunk, and only chunks that differ are
//   written, so only those are sealed and uploaded.
// It stays on DIR's file system (mount points inside DIR are stored as empty directories) and
// skips the paths in `exclude` (the data directory, whose store changes as it is read). An
// entry it cannot read is reported through `problem` and skipped; the rest goes on. Sockets
// are not stored. Runs on the calling thread; `stop` is checked between entries.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "client/backup_index.h"
#include "common/result.h"
#include "fs/file_system.h"

namespace peerstore::client {

struct BackupProgress {
  uint64_t files_done = 0, files_total = 0;
  uint64_t bytes_done = 0, bytes_total = 0;  // of regular files, read or skipped as unchanged
};

struct BackupOptions {
  std::string source;                // an absolute path without symlinks (realpath)
  std::string tree_dir;              // where its copy goes, e.g. /backups/HOST/home/me/docs
  Caller caller;                     // owner of the directories it creates above tree_dir
  std::vector<std::string> exclude;  // absolute paths not to store (nor descend into)
  const std::atomic<bool>* stop = nullptr;
  std::function<void(const BackupProgress&)> progress;  // after each entry
  std::function<void(const std::string&)> problem;      // one line per entry not stored
};

struct BackupResult {
  uint64_t files = 0, dirs = 0, symlinks = 0, hard_links = 0, specials = 0;
  uint64_t unchanged = 0;      // files not read: their stamps matched
  uint64_t bytes_read = 0;     // from source files
  uint64_t bytes_written = 0;  // chunks that differed from the copy in the tree
  uint64_t removed = 0;        // entries gone from DIR, removed from its copy
  uint64_t problems = 0;
  bool stopped = false;  // `stop` was set: the copy holds what was done until then
};

// Errors: the source is missing or not a directory, or the tree refused a write (a full store,
// say); an entry of DIR that cannot be read is a problem, not an error. `index` is updated for
// every file stored or found unchanged, and forgets files of DIR that are gone.
Result<BackupResult> backup(FileSystem& fs, BackupIndex& index, const BackupOptions& options);

}  // namespace peerstore::client
