// Helpers for the client tests: a temporary local directory that is removed afterwards, files
// written into it, a comparison of two local trees (content, type, mode, mtime, link targets,
// hard links, xattrs) that lists every difference, and a guard that drops the calling thread's
// power to read any file (root's CAP_DAC_OVERRIDE), so a mode 000 file is unreadable to root too.
// Not thread-safe; for doctest cases.
#pragma once

#include <sys/stat.h>

#include <string>
#include <vector>

namespace peerstore::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

void write_local(const std::string& path, const std::string& content, mode_t mode = 0644);
std::string read_local(const std::string& path);
// Differences between trees a and b, one line each; empty when they match. Times of
// directories and symlinks are compared too; atime is not.
std::vector<std::string> compare_trees(const std::string& a, const std::string& b);

// While it lives, the calling thread cannot bypass file permissions (no-op when not root).
class NoDacOverride {
 public:
  NoDacOverride();
  ~NoDacOverride();

 private:
  bool dropped_ = false;
  unsigned saved_[2] = {0, 0};
};

}  // namespace peerstore::test
