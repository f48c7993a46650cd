// HangGuard: see hang_guard.h.
#include "support/hang_guard.h"

#include <signal.h>

#include <cstdio>

namespace peerstore::test {

HangGuard::HangGuard(pid_t fuse_server, std::chrono::milliseconds deadline, std::string what) {
  thread_ = std::thread([this, fuse_server, deadline, what = std::move(what)] {
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, deadline, [this] { return done_; })) return;
    fired_ = true;
    std::fprintf(
        stderr, "HangGuard: '%s' still blocked after %lld ms; killing pid %d to abort the mount\n",
        what.c_str(), static_cast<long long>(deadline.count()), static_cast<int>(fuse_server));
    if (fuse_server > 0) ::kill(fuse_server, SIGKILL);
  });
}

HangGuard::~HangGuard() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace peerstore::test
