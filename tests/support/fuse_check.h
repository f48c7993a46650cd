// Whether this machine can run FUSE mounts of the binaries under test, and the one rule every
// suite that mounts follows (DESIGN §9): a missing prerequisite is a skip, except when CI is
// set, where it is a failure. Stateless; the report uses doctest, so test thread only.
#pragma once

#include <string>
#include <vector>

namespace peerstore::test {

// "" if /dev/fuse opens read-write and fusermount3 is in PATH, else why not.
std::string fuse_unusable_reason();

// "" if the environment variable `var` names an executable file, else why not (with `hint`).
std::string binary_unusable_reason(const char* var, const std::string& hint);

// Reports `reason` (FAIL_CHECK when CI is set, a "SKIPPED" MESSAGE otherwise) and returns false;
// returns true for an empty reason. The test must return when it is false.
bool usable_or_report(const std::string& reason);

}  // namespace peerstore::test
