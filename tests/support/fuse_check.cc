// FUSE and binary availability: see fuse_check.h.
#include "support/fuse_check.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace peerstore::test {
namespace {

bool find_in_path(const std::string& name) {
  const char* path = getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(ss, dir, ':');)
    if (access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  return false;
}

}  // namespace

std::string fuse_unusable_reason() {
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::string("cannot open /dev/fuse: ") + strerror(errno);
  close(fd);
  if (!find_in_path("fusermount3")) return "fusermount3 is not in PATH";
  return {};
}

std::string binary_unusable_reason(const char* var, const std::string& hint) {
  const char* bin = getenv(var);
  if (!bin || !*bin) return std::string(var) + " is not set (" + hint + ")";
  if (access(bin, X_OK) != 0)
    return std::string(var) + "=" + bin + " is not an executable: " + strerror(errno);
  return {};
}

bool usable_or_report(const std::string& reason) {
  if (reason.empty()) return true;
  if (getenv("CI")) {
    FAIL_CHECK("a prerequisite is missing and CI is set, so this is a failure: " << reason);
  } else {
    MESSAGE("SKIPPED (set CI to make this a failure): " << reason);
  }
  return false;
}

}  // namespace peerstore::test
