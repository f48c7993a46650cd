#include "support/local_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace peerstore::test {

TempDir::TempDir() {
  const char* base = std::getenv("PEERSTORE_TEST_TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/peerstore-client-XXXXXX";
  path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::string cmd = "chmod -R u+rwx '" + path_ + "' 2>/dev/null; rm -rf '" + path_ + "'";
  (void)!std::system(cmd.c_str());
}

void write_local(const std::string& path, const std::string& content, mode_t mode) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  ::chmod(path.c_str(), mode);
}

std::string read_local(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

namespace {

std::set<std::string> names_in(const std::string& dir) {
  std::set<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
        out.insert(e->d_name);
    ::closedir(d);
  }
  return out;
}

std::map<std::string, std::string> xattrs_of(const std::string& path) {
  std::map<std::string, std::string> out;
  char names[4096];
  ssize_t n = ::llistxattr(path.c_str(), names, sizeof names);
  for (ssize_t i = 0; n > 0 && i < n; i += ssize_t(std::strlen(names + i)) + 1) {
    char value[4096];
    ssize_t v = ::lgetxattr(path.c_str(), names + i, value, sizeof value);
    out[names + i] = v >= 0 ? std::string(value, size_t(v)) : "?";
  }
  return out;
}

struct Walk {
  std::vector<std::string> diffs;
  // Hard-link groups: first relative path seen for each inode, per tree.
  std::map<ino_t, std::string> links_a, links_b;

  void compare(const std::string& a, const std::string& b, const std::string& rel) {
    struct stat sa {
    }, sb{};
    if (::lstat(a.c_str(), &sa) != 0 || ::lstat(b.c_str(), &sb) != 0) {
      diffs.push_back(rel + ": missing on one side");
      return;
    }
    if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
      diffs.push_back(rel + ": type differs");
      return;
    }
    if (!S_ISLNK(sa.st_mode) && (sa.st_mode & 07777) != (sb.st_mode & 07777))
      diffs.push_back(rel + ": mode " + std::to_string(sa.st_mode & 07777) + " vs " +
                      std::to_string(sb.st_mode & 07777));
    if (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)
      diffs.push_back(rel + ": mtime differs");
    if (xattrs_of(a) != xattrs_of(b)) diffs.push_back(rel + ": xattrs differ");
    if (S_ISREG(sa.st_mode)) {
      if (read_local(a) != read_local(b)) diffs.push_back(rel + ": content differs");
      if (sa.st_nlink > 1 || sb.st_nlink > 1) {
        auto [ia, new_a] = links_a.emplace(sa.st_ino, rel);
        auto [ib, new_b] = links_b.emplace(sb.st_ino, rel);
        if (new_a != new_b || ia->second != ib->second)
          diffs.push_back(rel + ": hard links differ");
      }
    } else if (S_ISLNK(sa.st_mode)) {
      char ta[4096] = {}, tb[4096] = {};
      ssize_t na = ::readlink(a.c_str(), ta, sizeof ta - 1);
      ssize_t nb = ::readlink(b.c_str(), tb, sizeof tb - 1);
      if (na != nb || std::strcmp(ta, tb) != 0) diffs.push_back(rel + ": link target differs");
    } else if (S_ISDIR(sa.st_mode)) {
      auto na = names_in(a), nb = names_in(b);
      if (na != nb) diffs.push_back(rel + ": entries differ");
      for (auto& n : na)
        if (nb.count(n)) compare(a + "/" + n, b + "/" + n, rel + "/" + n);
    }
  }
};

}  // namespace

std::vector<std::string> compare_trees(const std::string& a, const std::string& b) {
  Walk w;
  w.compare(a, b, ".");
  return w.diffs;
}

NoDacOverride::NoDacOverride() {
  if (::geteuid() != 0) return;
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2] = {};
  if (::syscall(SYS_capget, &h, d) != 0) return;
  saved_[0] = d[0].effective;
  saved_[1] = d[1].effective;
  d[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
  dropped_ = ::syscall(SYS_capset, &h, d) == 0;
}

NoDacOverride::~NoDacOverride() {
  if (!dropped_) return;
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2] = {};
  if (::syscall(SYS_capget, &h, d) != 0) return;
  d[0].effective = saved_[0];
  d[1].effective = saved_[1];
  ::syscall(SYS_capset, &h, d);
}

}  // namespace peerstore::test
