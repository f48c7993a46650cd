// `peerstore ls`: one line per entry of a tree directory, in the manner of `ls -l`: type and
// mode, owner and group ids, size, modification time (UTC), name, and a symlink's target.
// Stateless; thread-safe.
#pragma once

#include <string>

#include "client/tree_path.h"

namespace peerstore::client {

// "-rw-r--r--  1000  1000      5120  2026-12-05 14:00  name" (+ " -> target" for a symlink).
std::string ls_line(const TreeEntry& e, const std::string& link_target = {});
// "drwxr-xr-x" and friends, with s/S/t/T for the set-id and sticky bits.
std::string mode_string(mode_t mode);

}  // namespace peerstore::client
