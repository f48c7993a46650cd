// The commands of `peerstore-share` (docs/sharing.md). Built so far: whoami. Each returns what
// the tool prints, or an error with a message for people. Run on the calling thread.
#pragma once

#include <string>

#include "common/result.h"
#include "host/data_dir_layout.h"

namespace peerstore::host {

// The user's id (keys/user_id.h) from CONFIG/user.key, unlocked with the passphrase if it has
// one. Errc::not_found with what to do if there is no user key yet.
Result<std::string> whoami(const DataDirLayout& layout);

}  // namespace peerstore::host
