// HangGuard: a watchdog for one step of a test that blocks on a FUSE mount. If the step has not
// finished by its deadline, the guard prints what was stuck to stderr and SIGKILLs the FUSE
// server process; the kernel then aborts the mount, the stuck system call fails (ENOTCONN) and
// the test reports a failure instead of hanging until meson's timeout. Construct it on the test
// thread; its own thread only waits and sends the signal. The pid must stay unreaped while the
// guard lives (the test thread is the only reaper, and it is busy in the guarded step).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace peerstore::test {

class HangGuard {
 public:
  HangGuard(pid_t fuse_server, std::chrono::milliseconds deadline, std::string what);
  ~HangGuard();  // ends the watch
  HangGuard(const HangGuard&) = delete;
  HangGuard& operator=(const HangGuard&) = delete;

  // True if the deadline passed and the server was killed.
  bool fired() const { return fired_.load(); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::atomic<bool> fired_{false};
  std::thread thread_;
};

}  // namespace peerstore::test
