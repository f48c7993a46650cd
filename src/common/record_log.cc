#include "common/record_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

namespace peerstore {

Bytes frame_record(ByteView body) {
  Bytes out;
  out.reserve(4 + body.size());
  for (int shift : {24, 16, 8, 0}) out.push_back(uint8_t(body.size() >> shift));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::vector<ByteView> split_records(ByteView log, size_t max_body, size_t max_records,
                                    bool* damaged) {
  std::deque<ByteView> out;
  size_t at = 0;
  while (log.size() - at >= 4) {
    size_t n = size_t(log[at]) << 24 | size_t(log[at + 1]) << 16 | size_t(log[at + 2]) << 8 |
               size_t(log[at + 3]);
    if (n > max_body || n > log.size() - at - 4) break;
    out.push_back(log.subspan(at + 4, n));
    if (out.size() > max_records) out.pop_front();
    at += 4 + n;
  }
  if (damaged) *damaged = at != log.size();
  return {out.begin(), out.end()};
}

Status append_record(const std::string& file, ByteView framed) {
  int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::io, "open " + file + ": " + std::strerror(errno));
  ssize_t n = ::write(fd, framed.data(), framed.size());
  int e = errno;
  ::close(fd);
  if (n != ssize_t(framed.size()))
    return fail(Errc::io, "write " + file + ": " + std::strerror(n < 0 ? e : ENOSPC));
  return {};
}

Result<Bytes> read_record_log(const std::string& file, size_t max_bytes) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Bytes();
    return fail(Errc::io, "open " + file + ": " + std::strerror(errno));
  }
  Bytes all;
  uint8_t buf[65536];
  while (all.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max_bytes - all.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      return fail(Errc::io, "read " + file + ": " + std::strerror(e));
    }
    if (n == 0) break;
    all.insert(all.end(), buf, buf + n);
  }
  ::close(fd);
  return all;
}

}  // namespace peerstore
