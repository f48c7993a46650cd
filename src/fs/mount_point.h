// Mount point checks done before mounting, each failing with a message that says what to do.
// Stateless; thread-safe.
#pragma once

#include <string>

#include "common/result.h"

namespace peerstore {

// The absolute path of an existing, unmounted directory.
Result<std::string> check_mount_point(const std::string& path);
// Whether `abs_path` is currently a mount point (per /proc/self/mountinfo).
bool is_mounted(const std::string& abs_path);

}  // namespace peerstore
