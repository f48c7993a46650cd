#include "client/listing.h"

#include <cstdio>
#include <ctime>

namespace peerstore::client {

std::string mode_string(mode_t mode) {
  std::string s(10, '-');
  switch (mode & S_IFMT) {
    case S_IFDIR:
      s[0] = 'd';
      break;
    case S_IFLNK:
      s[0] = 'l';
      break;
    case S_IFIFO:
      s[0] = 'p';
      break;
    case S_IFCHR:
      s[0] = 'c';
      break;
    case S_IFBLK:
      s[0] = 'b';
      break;
    case S_IFSOCK:
      s[0] = 's';
      break;
  }
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (mode & (0400 >> i)) s[size_t(i) + 1] = rwx[i];
  auto special = [&](size_t at, mode_t bit, char set, char unset) {
    if (mode & bit) s[at] = s[at] == '-' ? unset : set;
  };
  special(3, S_ISUID, 's', 'S');
  special(6, S_ISGID, 's', 'S');
  special(9, S_ISVTX, 't', 'T');
  return s;
}

std::string ls_line(const TreeEntry& e, const std::string& link_target) {
  char when[32] = "?";
  time_t t = e.st.st_mtim.tv_sec;
  struct tm tm {};
  if (gmtime_r(&t, &tm)) std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
  char head[128];
  std::snprintf(head, sizeof head, "%s %5u %5u %12llu  %s  ", mode_string(e.st.st_mode).c_str(),
                unsigned(e.st.st_uid), unsigned(e.st.st_gid),
                static_cast<unsigned long long>(e.st.st_size), when);
  std::string line = head + e.name;
  if (S_ISLNK(e.st.st_mode)) line += " -> " + link_target;
  return line;
}

}  // namespace peerstore::client
