#include "host/conflict_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace peerstore::host {

Status append_conflict(const std::string& file, const ConflictRecord& r) {
  Bytes rec = encode_conflict(r);
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::io, "open " + file + ": " + std::strerror(errno));
  // One write of a whole record: O_APPEND keeps records whole between writers.
  ssize_t n = ::write(fd, rec.data(), rec.size());
  int e = errno;
  ::close(fd);
  if (n != ssize_t(rec.size())) return fail(Errc::io, "write " + file + ": " + std::strerror(e));
  return {};
}

Result<std::vector<ConflictRecord>> read_conflicts(const std::string& file) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::vector<ConflictRecord>();
    return fail(Errc::io, "open " + file + ": " + std::strerror(errno));
  }
  // A log is small; a file past kMaxRead (nothing read is trusted) is listed up to there.
  constexpr size_t kMaxRead = kMaxConflictRecords * 1024;
  Bytes all;
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return fail(Errc::io, "read " + file + ": " + std::strerror(e));
    }
    if (n == 0) break;
    all.insert(all.end(), buf, buf + n);
    if (all.size() > kMaxRead) break;
  }
  ::close(fd);
  bool damaged = false;
  auto out = decode_conflict_log(all, &damaged);
  if (damaged)
    log::warn(file + " ends in a damaged record; listing the " + std::to_string(out.size()) +
              " before it");
  return out;
}

}  // namespace peerstore::host
