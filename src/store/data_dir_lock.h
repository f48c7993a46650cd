// DataDirLock: an exclusive advisory lock (flock) on DIR/lock that keeps two PeerStore
// processes from using one data directory. Released when the object dies or the process exits.
// Not thread-safe; hold it for the life of the process.
#pragma once

#include <string>

#include "common/result.h"

namespace peerstore {

class DataDirLock {
 public:
  // Errc::busy with the holder's pid in the message when another process has it.
  static Result<DataDirLock> acquire(const std::string& dir);
  // The file it locks: DIR/lock.
  static std::string lock_path(const std::string& dir);
  DataDirLock(DataDirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace peerstore
