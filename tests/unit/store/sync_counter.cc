// The interposers behind sync_counter.h. Definitions in the executable take precedence over
// libc's for every shared library that calls them (liblmdb included); each forwards to libc's.
#include "sync_counter.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/types.h>

namespace peerstore::test {
namespace {
thread_local SyncCount counts;

template <class F>
F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}
}  // namespace

SyncCount syncs_on_this_thread() {
  return counts;
}

}  // namespace peerstore::test

extern "C" int fdatasync(int fd) {
  static auto real = peerstore::test::next<int (*)(int)>("fdatasync");
  ++peerstore::test::counts.syncs;
  return real(fd);
}

extern "C" int fsync(int fd) {
  static auto real = peerstore::test::next<int (*)(int)>("fsync");
  ++peerstore::test::counts.syncs;
  return real(fd);
}

// Named by its symbol: with 64-bit file offsets the headers rename `pwrite` to pwrite64, while
// liblmdb calls pwrite (the same function on 64-bit systems).
extern "C" ssize_t counted_pwrite(int fd, const void* buf, size_t n, off_t off) __asm__("pwrite");
extern "C" ssize_t counted_pwrite(int fd, const void* buf, size_t n, off_t off) {
  static auto real = peerstore::test::next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & (O_DSYNC | O_SYNC))) ++peerstore::test::counts.dsync_writes;
  return real(fd, buf, n, off);
}
