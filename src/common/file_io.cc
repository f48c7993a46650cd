#include "common/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace peerstore {

Status write_file_durably(const std::string& path, ByteView content, Placement placement,
                          mode_t mode) {
  std::string tmp = path + ".XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0)
    return fail(Errc::io, "cannot create a file next to " + path + ": " + std::strerror(errno));
  bool ok = ::fchmod(fd, mode) == 0;
  for (size_t off = 0; ok && off < content.size();) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) off += size_t(n);
  }
  ok = ok && ::fsync(fd) == 0;
  int e = errno;
  ::close(fd);
  if (ok && placement == Placement::create_new) {
    ok = ::link(tmp.c_str(), path.c_str()) == 0;
    e = errno;
    ::unlink(tmp.c_str());
  } else if (ok) {
    ok = ::rename(tmp.c_str(), path.c_str()) == 0;
    e = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return fail(e == EEXIST ? Errc::exists : Errc::io,
                "cannot write " + path + ": " + std::strerror(e));
  }
  // The new name is durable only once its directory is.
  std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
  if (int dfd = ::open(dir.empty() ? "/" : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

Result<Bytes> read_whole_file(const std::string& path, size_t max_size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    return fail(e == ENOENT   ? Errc::not_found
                : e == EACCES ? Errc::permission
                              : Errc::io,
                "cannot read " + path + ": " + std::strerror(e));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Errc::io, "cannot read " + path + ": not a regular file");
  }
  if (uint64_t(st.st_size) > max_size) {
    ::close(fd);
    return fail(Errc::too_big, path + " is " + std::to_string(st.st_size) +
                                   " bytes, more than the " + std::to_string(max_size) +
                                   " it may have");
  }
  Bytes out(size_t(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += size_t(n);
  }
  ::close(fd);
  out.resize(got);  // a file that shrank meanwhile
  return out;
}

}  // namespace peerstore
