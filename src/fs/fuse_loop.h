// FuseLoop: serves a FUSE session's requests on a pool of threads, in place of libfuse's
// multi-threaded loop, so that a stream of requests one at a time finds a thread awake.
//
// One thread at a time, the leader, reads the device (made non-blocking). A quick request (a
// lookup, a getattr, a read of at most 32 KiB, most metadata) that arrives while nothing else is
// queued, the leader serves itself and reads on. Any other request it hands over: an idle thread
// (or a new one, up to `max_threads`) takes the reading and the leader serves the request as a
// worker, so that writes, fsyncs and the kernel's bursts are served in parallel. After a quick
// read the leader keeps reading without sleeping for `spin`; otherwise it sleeps in poll(). The
// other threads wait on a condition variable, not on the device.
//
// A quick request that turns out slow (a lookup that waits for the network) must not hold up the
// others: a watchdog (run()'s thread) that sees the leader serve one request for `rescue` or
// more makes another thread the leader. It ticks only while requests come, and sleeps otherwise.
//
// Why: with libfuse's loop every worker sleeps in read(), and each request of a process that
// asks one thing at a time (a 4 KiB random reader, `ls -lR`) waits for the kernel to wake one.
// On a VM that is an inter-processor interrupt and a halted vCPU to resume: a large part of the
// 65 µs a random read took (docs/performance.md, Random reads). The spin costs a core for `spin`
// after each small read, and nothing otherwise.
//
// Thread contract: construct and run() on one thread; run() returns once the session has ended
// (unmount, fuse_session_exit from a signal) and every worker has finished its request.
// run() chains a handler for SIGINT, SIGTERM and SIGHUP for as long as it runs.
#pragma once

#include <fuse_lowlevel.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace peerstore {

class FuseLoop {
 public:
  struct Options {
    int max_threads = 16;
    std::chrono::microseconds spin{100};
    std::chrono::microseconds rescue{1000};
  };
  FuseLoop(fuse_session* se, Options opts) : se_(se), opts_(opts) {}
  ~FuseLoop();
  FuseLoop(const FuseLoop&) = delete;
  FuseLoop& operator=(const FuseLoop&) = delete;

  // Serves requests until the session ends; 0, or -errno of a failed read of the device. While
  // it runs, SIGINT, SIGTERM and SIGHUP still go to the handlers installed before (libfuse's
  // end the session), and then wake the leader, so that the exit is seen at once: one running
  // loop per process.
  int run();

  // What the leader does with a request in `buf` (a fuse_in_header and its arguments): a quick
  // read (spin after it), another quick request, or one to hand to a worker. Public for tests.
  enum class Kind { quick_read, quick, slow };
  static Kind classify(const fuse_buf& buf);

 private:
  void worker();
  void lead(fuse_buf& buf);  // as the leader, until handing over, a rescue or stop
  // As the leader: the next request into `buf`, reading without sleeping until `spin_until`;
  // 0 when the session ended, -errno on failure.
  int read_request(fuse_buf& buf, std::chrono::steady_clock::time_point spin_until);
  void arm();
  bool more_queued() const;
  // Under mu_: the lead goes to an idle thread, or a new one.
  void hand_over_locked();
  void stop_locked(int error);
  void watch();  // run()'s thread: the watchdog

  fuse_session* se_;
  const Options opts_;
  std::mutex mu_;
  std::condition_variable cv_;     // idle workers wait for the lead
  std::condition_variable watch_;  // the watchdog waits for a tick, to be armed, or for stop_
  bool leader_ = false, stop_ = false;
  int idle_ = 0, error_ = 0;
  std::vector<std::thread> threads_;
  // The request the leader is serving (0: none), numbered; a rescue bumps the term, and the
  // thread that led in an older term goes back to idle once it has served its request.
  std::atomic<uint64_t> serving_{0}, taken_{0}, term_{0};
  std::atomic<bool> armed_{false};  // the watchdog ticks
  int wake_fd_ = -1;                // an eventfd the leader polls beside the device
};

}  // namespace peerstore
