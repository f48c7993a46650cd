// LoopThread: one thread running one libuv loop, which owns every libuv handle made on it.
// Other threads hand it work with post() (FIFO; one uv_async_t wakes the loop, which drains the
// whole queue) or call() (post and wait for the result). Thread-safe, except loop(): that and
// the handles made on it belong to the loop thread.
#pragma once

#include <uv.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/result.h"

namespace peerstore {

class LoopThread {
 public:
  // `name` names the thread (for debuggers and logs; cut to 15 characters). The loop is running
  // when this returns.
  static Result<std::unique_ptr<LoopThread>> start(std::string name);
  // Calls stop(). Must not run on the loop thread.
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  // Loop thread only.
  uv_loop_t* loop() { return &loop_; }
  bool on_loop_thread() const { return current_ == this; }

  // Runs fn on the loop thread after everything posted before it. Once stop() has begun, fn is
  // destroyed without running (on the calling thread).
  void post(std::function<void()> fn) { enqueue(std::move(fn)); }

  // Runs fn on the loop thread and returns its result. Not on the loop thread (it would wait for
  // itself) and not after stop() began (fn would never run): both are bugs and abort.
  template <class F>
  auto call(F fn) -> decltype(fn());

  // Runs `shutdown` on the loop (after everything posted before) so owners can close their
  // handles, then closes every handle still open, runs the loop until uv_loop_close() succeeds
  // and joins the thread. Idempotent: later and concurrent calls wait for the first to finish
  // and their `shutdown` is dropped. Not on the loop thread.
  void stop(std::function<void()> shutdown = {});

 private:
  explicit LoopThread(std::string name) : name_(std::move(name)) {}
  void run(std::promise<void>& started);
  static void on_wake(uv_async_t* async);
  void drain();
  void close_all_and_finish();
  bool enqueue(std::function<void()> fn);
  void require_off_loop(const char* what) const;

  std::string name_;
  uv_loop_t loop_{};
  uv_async_t wake_{};
  std::thread thread_;
  // The LoopThread running on this thread, if any. Not a thread id: those are reused once a
  // thread is joined, and a later thread would pass for the loop.
  static thread_local const LoopThread* current_;
  std::once_flag stop_once_;

  std::mutex mu_;
  std::vector<std::function<void()>> queue_;  // guarded by mu_
  bool stopping_ = false;                     // guarded by mu_
  std::function<void()> shutdown_;            // guarded by mu_
};

template <class F>
auto LoopThread::call(F fn) -> decltype(fn()) {
  using R = decltype(fn());
  require_off_loop("call");
  // Everything enqueued before stop() begins runs, so the promise is always fulfilled; locals
  // can be captured by reference.
  std::promise<R> done;
  auto result = done.get_future();
  bool queued = enqueue([&] {
    if constexpr (std::is_void_v<R>) {
      fn();
      done.set_value();
    } else {
      done.set_value(fn());
    }
  });
  if (!queued) {
    std::fprintf(stderr, "LoopThread %s: call() after stop()\n", name_.c_str());
    std::abort();
  }
  return result.get();
}

}  // namespace peerstore
