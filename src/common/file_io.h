// Whole-file reads and crash-safe whole-file writes for the small files PeerStore keeps beside
// its stores (key files, the backup index). Stateless; thread-safe.
#pragma once

#include <sys/types.h>

#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

enum class Placement {
  create_new,  // never replaces a file: exists if one is there
  replace,     // atomically replaces the old file, if any
};

// Writes `content` under a temporary name of our own (two writers may race, and a crash must
// never leave half a file), fsyncs it and its directory, then links it into place (create_new)
// or renames it over the old file (replace). The file gets `mode`.
Status write_file_durably(const std::string& path, ByteView content, Placement placement,
                          mode_t mode = 0600);

// The whole file, refused (too_big) past `max_size` bytes before reading it; not_found if it is
// not there.
Result<Bytes> read_whole_file(const std::string& path, size_t max_size);

}  // namespace peerstore
