#include "fs/mount_point.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace peerstore {
namespace {

// mountinfo escapes spaces and the like as \ooo.
std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(char(std::strtol(s.substr(i + 1, 3).c_str(), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

bool is_mounted(const std::string& abs_path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mnt;
    fields >> id >> parent >> devno >> root >> mnt;
    if (unescape(mnt) == abs_path) return true;
  }
  return false;
}

Result<std::string> check_mount_point(const std::string& path) {
  char buf[PATH_MAX];
  if (!::realpath(path.c_str(), buf))
    return fail(Errc::not_found, "mount point " + path + " does not exist; create it with 'mkdir -p " + path + "'");
  std::string abs = buf;
  struct stat st;
  if (::stat(abs.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return fail(Errc::invalid, "mount point " + path + " is not a directory");
  if (is_mounted(abs))
    return fail(Errc::busy, "mount point " + abs + " is already mounted; unmount it first with 'fusermount3 -u " + abs + "'");
  return abs;
}

}  // namespace peerstore
