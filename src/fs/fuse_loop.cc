#include "fs/fuse_loop.h"

#include <fcntl.h>
#include <linux/fuse.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace peerstore {

namespace {

using Clock = std::chrono::steady_clock;

// A read that large or less is quick, and starts a spin. Random readers ask for 4 KiB; the
// kernel's readahead asks for up to 1 MiB, which goes to the workers, in parallel.
constexpr uint32_t kQuickReadMax = 32 << 10;

// Ticks without a request before the watchdog sleeps.
constexpr int kQuietTicks = 3;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// The running loop's eventfd, for the signal handler; -1 when none runs.
std::atomic<int> g_wake_fd{-1};
constexpr int kExitSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[std::size(kExitSignals)];

// Runs the handler that was there before (libfuse's ends the session), then wakes the leader.
void on_exit_signal(int sig, siginfo_t* info, void* context) {
  const int saved = errno;
  for (size_t i = 0; i < std::size(kExitSignals); i++) {
    if (kExitSignals[i] != sig) continue;
    const struct sigaction& prev = g_previous[i];
    if (prev.sa_flags & SA_SIGINFO)
      prev.sa_sigaction(sig, info, context);
    else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN)
      prev.sa_handler(sig);
  }
  if (int fd = g_wake_fd.load(); fd >= 0) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(fd, &one, sizeof one);
  }
  errno = saved;
}

// Chains on_exit_signal in front of the handlers of kExitSignals for its lifetime. A signal
// whose disposition is the default (no session handler) is left alone: it ends the process.
class SignalWake {
 public:
  explicit SignalWake(int fd) {
    // One loop per process is woken; a second one, running at the same time, is not chained
    // (its leader sees an exit at poll's timeout instead).
    int none = -1;
    if (!g_wake_fd.compare_exchange_strong(none, fd)) return;
    fd_ = fd;
    for (size_t i = 0; i < std::size(kExitSignals); i++) {
      struct sigaction now {};
      sigaction(kExitSignals[i], nullptr, &now);
      if (!(now.sa_flags & SA_SIGINFO) && (now.sa_handler == SIG_DFL || now.sa_handler == SIG_IGN))
        continue;
      g_previous[i] = now;
      struct sigaction sa {};
      sa.sa_sigaction = on_exit_signal;
      sa.sa_flags = SA_SIGINFO;
      sigemptyset(&sa.sa_mask);
      if (sigaction(kExitSignals[i], &sa, nullptr) == 0) chained_[i] = true;
    }
  }
  ~SignalWake() {
    if (fd_ < 0) return;
    for (size_t i = 0; i < std::size(kExitSignals); i++)
      if (chained_[i]) sigaction(kExitSignals[i], &g_previous[i], nullptr);
    g_wake_fd.store(-1);
  }
  SignalWake(const SignalWake&) = delete;
  SignalWake& operator=(const SignalWake&) = delete;

 private:
  int fd_ = -1;  // ours, if chained
  bool chained_[std::size(kExitSignals)] = {};
};

}  // namespace

FuseLoop::Kind FuseLoop::classify(const fuse_buf& buf) {
  if ((buf.flags & FUSE_BUF_IS_FD) || buf.size < sizeof(fuse_in_header)) return Kind::slow;
  const auto* in = static_cast<const char*>(buf.mem);
  fuse_in_header h;
  std::memcpy(&h, in, sizeof h);
  switch (h.opcode) {
    case FUSE_READ: {
      if (buf.size < sizeof h + sizeof(fuse_read_in)) return Kind::slow;
      fuse_read_in r;
      std::memcpy(&r, in + sizeof h, sizeof r);
      return r.size <= kQuickReadMax ? Kind::quick_read : Kind::slow;
    }
    case FUSE_WRITE: {
      if (buf.size < sizeof h + sizeof(fuse_write_in)) return Kind::slow;
      fuse_write_in w;
      std::memcpy(&w, in + sizeof h, sizeof w);
      return w.size <= kQuickReadMax ? Kind::quick : Kind::slow;
    }
    // Metadata, served from memory under the file system's lock. Writes (which may seal a
    // chunk), fsync, fallocate and whatever else may wait long are slow.
    case FUSE_LOOKUP:
    case FUSE_FORGET:
    case FUSE_BATCH_FORGET:
    case FUSE_GETATTR:
    case FUSE_SETATTR:
    case FUSE_READLINK:
    case FUSE_MKNOD:
    case FUSE_MKDIR:
    case FUSE_SYMLINK:
    case FUSE_LINK:
    case FUSE_UNLINK:
    case FUSE_RMDIR:
    case FUSE_RENAME:
    case FUSE_RENAME2:
    case FUSE_OPEN:
    case FUSE_CREATE:
    case FUSE_FLUSH:  // reports a failed commit; waits for nothing
    case FUSE_RELEASE:
    case FUSE_OPENDIR:
    case FUSE_READDIR:
    case FUSE_READDIRPLUS:
    case FUSE_RELEASEDIR:
    case FUSE_STATFS:
    case FUSE_GETXATTR:
    case FUSE_LISTXATTR:
    case FUSE_SETXATTR:
    case FUSE_REMOVEXATTR:
    case FUSE_ACCESS:
    case FUSE_INTERRUPT:
      return Kind::quick;
    default:
      return Kind::slow;
  }
}

FuseLoop::~FuseLoop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  if (wake_fd_ >= 0) close(wake_fd_);
}

int FuseLoop::run() {
  const int fd = fuse_session_fd(se_);
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) return -errno;
  if (wake_fd_ < 0) wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return -errno;
  SignalWake signals(wake_fd_);
  {
    std::lock_guard lk(mu_);
    threads_.emplace_back([this] { worker(); });
  }
  watch();
  // Workers serving a request finish it; the others see stop_ and return.
  for (auto& t : threads_) t.join();
  threads_.clear();
  return error_;
}

void FuseLoop::watch() {
  std::unique_lock lk(mu_);
  uint64_t last_serving = 0, last_taken = 0;
  int quiet = 0;
  while (!stop_) {
    if (!armed_.load()) {
      watch_.wait(lk, [&] { return stop_ || armed_.load(); });
      last_serving = 0;
      last_taken = taken_.load();
      quiet = 0;
      continue;
    }
    watch_.wait_for(lk, opts_.rescue, [&] { return stop_; });
    if (stop_) break;
    const uint64_t serving = serving_.load(), taken = taken_.load();
    if (serving != 0 && serving == last_serving) {
      // The leader has served one request for a whole tick: another thread reads.
      ++term_;
      uint64_t expected = serving;
      serving_.compare_exchange_strong(expected, 0);
      hand_over_locked();
    }
    quiet = taken == last_taken && serving == 0 ? quiet + 1 : 0;
    last_serving = serving;
    last_taken = taken;
    if (quiet >= kQuietTicks) {
      // Asleep until the leader takes a request: it sees armed_ false and wakes this thread.
      armed_.store(false);
      if (serving_.load() != 0) armed_.store(true);  // it took one meanwhile, and may not have
    }
  }
}

void FuseLoop::arm() {
  std::lock_guard lk(mu_);
  armed_.store(true);
  watch_.notify_one();
}

void FuseLoop::hand_over_locked() {
  leader_ = false;
  if (idle_ > 0)
    cv_.notify_one();
  else if (int(threads_.size()) < opts_.max_threads)
    threads_.emplace_back([this] { worker(); });
  // else the first worker to finish its request takes the lead
}

void FuseLoop::stop_locked(int error) {
  if (error < 0 && error_ == 0) error_ = error;
  stop_ = true;
  leader_ = false;
  cv_.notify_all();
  watch_.notify_all();
}

int FuseLoop::read_request(fuse_buf& buf, Clock::time_point spin_until) {
  const int fd = fuse_session_fd(se_);
  for (;;) {
    int res = fuse_session_receive_buf(se_, &buf);
    if (res > 0) return res;
    if (res == 0 || fuse_session_exited(se_)) return 0;  // ENODEV (unmounted) reads as 0
    if (res == -EINTR) continue;
    if (res != -EAGAIN) return res;
    if (Clock::now() < spin_until) {
      cpu_relax();
      continue;
    }
    // Nothing queued: sleep until a request comes, or a signal asks to exit (the wake fd). The
    // timeout only bounds how late an exit asked without a signal is seen.
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(p, 2, 1000) < 0 && errno != EINTR) return -errno;
    if (p[1].revents & POLLIN) {
      uint64_t n;
      [[maybe_unused]] ssize_t r = read(wake_fd_, &n, sizeof n);
    }
    // POLLERR/POLLHUP (the connection went away): the next read reports it.
  }
}

bool FuseLoop::more_queued() const {
  pollfd p{fuse_session_fd(se_), POLLIN, 0};
  return poll(&p, 1, 0) > 0 && (p.revents & POLLIN);
}

void FuseLoop::lead(fuse_buf& buf) {
  const uint64_t term = term_.load();
  Clock::time_point spin_until{};
  bool last_read = false;  // the request before was a small read
  for (;;) {
    const int res = read_request(buf, spin_until);
    if (res <= 0) {
      std::lock_guard lk(mu_);
      stop_locked(res);
      return;
    }
    const Kind kind = classify(buf);
    // A burst (the kernel's writeback, parallel readers) is served in parallel.
    if (kind == Kind::slow || more_queued()) {
      {
        std::lock_guard lk(mu_);
        if (term_.load() == term) hand_over_locked();  // else rescued: someone leads already
      }
      fuse_session_process_buf(se_, &buf);
      return;
    }
    // Spin in a run of small reads (a random reader, a database): after a lone one (a `cat` of a
    // small file) the next request is an open or a lookup, and the spin only takes the core
    // from the processes that are about to send it (find+cat went 25 % slower).
    spin_until =
        kind == Kind::quick_read && last_read ? Clock::now() + opts_.spin : Clock::time_point{};
    last_read = kind == Kind::quick_read;
    const uint64_t n = taken_.fetch_add(1) + 1;
    serving_.store(n);
    if (!armed_.load()) arm();
    fuse_session_process_buf(se_, &buf);
    uint64_t expected = n;
    serving_.compare_exchange_strong(expected, 0);
    if (term_.load() != term) return;  // rescued: another thread leads
  }
}

void FuseLoop::worker() {
  fuse_buf buf{};
  std::unique_lock lk(mu_);
  while (!stop_) {
    ++idle_;
    cv_.wait(lk, [&] { return !leader_ || stop_; });
    --idle_;
    if (stop_) break;
    leader_ = true;
    lk.unlock();
    lead(buf);
    lk.lock();
  }
  lk.unlock();
  free(buf.mem);
}

}  // namespace peerstore
