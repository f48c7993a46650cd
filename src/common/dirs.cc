#include "common/dirs.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace peerstore {

Status make_dirs(const std::string& dir) {
  if (dir.empty()) return fail(Errc::invalid, "empty directory name");
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = dir.find('/', pos + 1);
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST)
      return fail(Errc::io, "cannot create " + part + ": " + std::strerror(errno));
  }
  return {};
}

}  // namespace peerstore
