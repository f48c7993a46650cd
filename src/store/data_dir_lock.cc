#include "store/data_dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace peerstore {

std::string DataDirLock::lock_path(const std::string& dir) {
  return dir + "/lock";
}

Result<DataDirLock> DataDirLock::acquire(const std::string& dir) {
  std::string path = lock_path(dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail(Errc::io, "cannot open " + path + ": " + std::strerror(errno));
  // A previous instance may still be writing its last commit after its unmount returned:
  // give it a moment before calling the directory busy.
  bool locked = false;
  for (int i = 0; i < 30 && !locked; ++i) {
    locked = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    if (!locked) ::usleep(100 * 1000);
  }
  if (!locked) {
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    std::string pid = n > 0 ? std::string(buf, size_t(n)) : "?";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
    return fail(Errc::busy, "data directory " + dir +
                                " is in use by another PeerStore process (pid " + pid +
                                "); stop it first or pass another --data");
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock itself is what matters; the pid is only a hint for the message above.
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace peerstore
