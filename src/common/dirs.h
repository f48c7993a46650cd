// Directory helpers shared by the tools and the key store. Stateless; thread-safe.
#pragma once

#include <string>

#include "common/result.h"

namespace peerstore {

// mkdir -p with mode 0700 for the directories it creates.
Status make_dirs(const std::string& dir);

}  // namespace peerstore
