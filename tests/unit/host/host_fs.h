// Helpers of the host suites that run file systems over a MemoryStore: the options they open
// them with (no disk to probe) and the caller they act as.
#pragma once

#include <unistd.h>

#include "fs/file_system.h"

namespace peerstore::host::test_fs {

inline FileSystem::Options options() {
  FileSystem::Options o;
  o.statfs_path = "/";
  o.space_probe_ms = 0;
  return o;
}

inline Caller me() {
  return Caller{getuid(), getgid()};
}

}  // namespace peerstore::host::test_fs
