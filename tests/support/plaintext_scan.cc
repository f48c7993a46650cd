#include "support/plaintext_scan.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace peerstore::test {
namespace {

namespace fs = std::filesystem;

constexpr size_t kPiece = size_t(4) << 20;

void scan_tree(const std::string& top, const std::vector<Needle>& needles, PlaintextScan& scan) {
  struct stat root {};
  if (::stat(top.c_str(), &root) != 0) {
    scan.errors.push_back(top + ": " + std::strerror(errno));
    return;
  }
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(top, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::string path = it->path().string();
    std::string name = it->path().filename().string();
    for (const auto& n : needles)
      if (name.find(n.bytes) != std::string::npos)
        scan.found.push_back({path, n.what + " (in a file name)", 0});
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      scan.errors.push_back(path + ": " + std::strerror(errno));
      continue;
    }
    if (S_ISDIR(st.st_mode) && st.st_dev != root.st_dev) it.disable_recursion_pending();
    if (S_ISREG(st.st_mode)) scan_file_for_plaintext(path, needles, scan);
  }
  if (ec) scan.errors.push_back(top + ": " + ec.message());
}

}  // namespace

void scan_file_for_plaintext(const std::string& path, const std::vector<Needle>& needles,
                             PlaintextScan& scan) {
  size_t overlap = 0;
  for (const auto& n : needles) overlap = std::max(overlap, n.bytes.size());
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    scan.errors.push_back(path + ": " + std::strerror(errno));
    return;
  }
  ++scan.files;
  std::string window;  // the tail of the previous piece, then this piece
  uint64_t window_start = 0;
  std::string buf(kPiece, '\0');
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) scan.errors.push_back(path + ": " + std::strerror(errno));
    if (n <= 0) break;
    scan.bytes += uint64_t(n);
    window.append(buf.data(), size_t(n));
    for (const auto& needle : needles) {
      size_t at = window.find(needle.bytes);
      if (at == std::string::npos) continue;
      // A match inside the overlap was found with the previous piece already.
      uint64_t offset = window_start + at;
      bool seen = std::any_of(scan.found.begin(), scan.found.end(), [&](const auto& f) {
        return f.file == path && f.what == needle.what && f.offset == offset;
      });
      if (!seen) scan.found.push_back({path, needle.what, offset});
    }
    if (window.size() > overlap) {
      window_start += window.size() - overlap;
      window.erase(0, window.size() - overlap);
    }
  }
  ::close(fd);
}

PlaintextScan scan_for_plaintext(const std::vector<std::string>& dirs,
                                 const std::vector<Needle>& needles) {
  PlaintextScan scan;
  for (const auto& d : dirs) scan_tree(d, needles, scan);
  return scan;
}

std::string describe_findings(const PlaintextScan& scan) {
  std::string out;
  for (const auto& f : scan.found)
    out += f.what + " found in " + f.file + " at offset " + std::to_string(f.offset) + "\n";
  return out;
}

}  // namespace peerstore::test
