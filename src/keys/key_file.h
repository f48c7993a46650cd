// Key files: one secret seed per file, mode 0600, in the config directory. The format is a
// msgpack array ["peerstore-key", 1, KIND, SEED]. Files readable by group or others are
// refused. Stateless functions; thread-safe.
#pragma once

#include <string>

#include "common/result.h"
#include "common/secret.h"

namespace peerstore {

// Errc::not_found if absent; permission, corrupt otherwise, each with a message for people.
Result<Secret> read_key_file(const std::string& path, const std::string& kind);
// Creates the file exclusively (never overwrites a key).
Status write_key_file(const std::string& path, const std::string& kind, const Secret& seed);

}  // namespace peerstore
