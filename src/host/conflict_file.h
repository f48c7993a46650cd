// The conflict log file of a data directory (DataDirLayout::conflicts()): appended by the
// mount as live sync makes conflict copies, read by `peerstore conflicts` and `status`.
// Stateless functions; appends from one process at a time (the data directory's lock holder).
#pragma once

#include <string>
#include <vector>

#include "fs/conflict_log.h"

namespace peerstore::host {

Status append_conflict(const std::string& file, const ConflictRecord& r);
// The records; none if the file does not exist. A damaged tail is skipped with a warning.
Result<std::vector<ConflictRecord>> read_conflicts(const std::string& file);

}  // namespace peerstore::host
