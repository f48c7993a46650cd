// The unsynced marker: a file in an LMDB environment's directory that says the environment may
// hold commits the disk does not have yet (LmdbStore's background sync, docs/dht.md,
// "Acknowledging before the disk sync"). It names the boot it was written in. Found at open
// with this boot's id, only the process died: the kernel's page cache holds every commit, and
// nothing is lost. Found with another boot's id, the machine went down (a power cut, a kernel
// crash) while commits were unsynced, and LMDB, whose commits without a sync keep their promise
// only as long as the page cache lives, may be corrupt. Stateless functions; thread-safe.
#pragma once

#include <string>

#include "common/result.h"

namespace peerstore::unsynced_marker {

inline constexpr const char* kFileName = "unsynced";

// The kernel's id of this boot (/proc/sys/kernel/random/boot_id), or "" if it cannot be read.
std::string current_boot_id();
// Errc::corrupt (saying the environment in `dir` may be corrupt after the machine went down
// with unsynced commits) if `dir` holds a marker of another boot than `boot_id`, or one that
// cannot be read; ok if it holds none or one of this boot.
Status check(const std::string& dir, const std::string& boot_id);
// Writes the marker of `boot_id` durably (it must be on disk before an unsynced commit is).
Status set(const std::string& dir, const std::string& boot_id);
// Removes the marker durably; ok if there was none.
Status clear(const std::string& dir);

}  // namespace peerstore::unsynced_marker
