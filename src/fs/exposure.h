// exposure: what a reader of a volume could read until now (docs/sharing.md, Revoke: the
// exposure report that `peerstore-share revoke` prints). Every file of every version in the
// volume's history, as (path, size, modification time), once per distinct triple, with the time
// of the earliest version that holds it. Each version's tree is read through a file system
// opened at that version with read-only keys, so nothing is ever committed. Runs on the
// calling thread; cost: versions times files.
#pragma once

#include <string>
#include <vector>

#include "fs/file_system.h"

namespace peerstore {

struct ExposedFile {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  int64_t first_seen_ns = 0;  // the time of the earliest version that holds it
};

struct Exposure {
  std::vector<ExposedFile> files;  // by path, then time
  size_t versions = 0;             // versions read
  // What could not be read (a version whose blocks are missing, a history cut short): the
  // report is then a lower bound, and says so.
  std::vector<std::string> problems;
};

Result<Exposure> exposure(LocalStore& store, const VolumeKeys& keys, const PublicKey& device);

}  // namespace peerstore
