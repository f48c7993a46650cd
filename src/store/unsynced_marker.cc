#include "store/unsynced_marker.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file_io.h"

namespace peerstore::unsynced_marker {
namespace {

constexpr size_t kMaxMarker = 256;  // a boot id and a newline; anything longer is not ours

std::string path_in(const std::string& dir) {
  return dir + "/" + kFileName;
}

std::string trimmed(const Bytes& b) {
  std::string s(b.begin(), b.end());
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string current_boot_id() {
  // A /proc file has no size to read up to: read what one read gives.
  int fd = ::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  char buf[64];
  ssize_t n = ::read(fd, buf, sizeof buf);
  ::close(fd);
  return n > 0 ? trimmed(Bytes(buf, buf + n)) : std::string();
}

Status check(const std::string& dir, const std::string& boot_id) {
  auto b = read_whole_file(path_in(dir), kMaxMarker);
  if (!b && b.error().code == Errc::not_found) return {};
  std::string why;
  if (!b)
    why = "its unsynced marker cannot be read (" + b.error().message() + ")";
  else if (boot_id.empty() || trimmed(*b) != boot_id)
    why = "the machine went down while it held commits not yet synced to disk";
  else
    return {};  // only the process stopped: the page cache kept every commit
  return fail(Errc::corrupt, "the store in " + dir + " may be corrupt: " + why);
}

Status set(const std::string& dir, const std::string& boot_id) {
  std::string line = boot_id + "\n";
  return write_file_durably(path_in(dir), as_bytes(line), Placement::replace);
}

Status clear(const std::string& dir) {
  if (::unlink(path_in(dir).c_str()) != 0) {
    if (errno == ENOENT) return {};
    return fail(Errc::io, "cannot remove " + path_in(dir) + ": " + std::strerror(errno));
  }
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(Errc::io, "cannot open " + dir + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return fail(Errc::io, "cannot sync " + dir + ": " + std::strerror(err));
  return {};
}

}  // namespace peerstore::unsynced_marker
