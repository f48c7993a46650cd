// Key files: one secret seed per file, mode 0600, in the config directory. The format is a
// msgpack array ["peerstore-key", 1, KIND, SEED]. Files readable by group or others are
// refused. Stateless functions; thread-safe.
#pragma once

#include <string>

#include "common/bytes.h"
#include "common/result.h"
#include "common/secret.h"

namespace peerstore {

// Errc::not_found if absent; permission, corrupt otherwise, each with a message for people.
Result<Secret> read_key_file(const std::string& path, const std::string& kind);
// The format alone, on bytes already read: `what` names their source in errors ("identity file
// PATH"). Errc::corrupt for anything but a key file holding a seed of `kind`.
Result<Secret> decode_key_file(ByteView bytes, const std::string& kind, const std::string& what);
// Creates the file exclusively (never overwrites a key).
Status write_key_file(const std::string& path, const std::string& kind, const Secret& seed);

}  // namespace peerstore
