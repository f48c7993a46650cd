#include "dht/loop_thread.h"

#include <system_error>

#include "common/log.h"
#include "common/process_signals.h"
#include "common/thread_name.h"

namespace peerstore {
namespace {

void close_handle(uv_handle_t* h, void* closed) {
  if (uv_is_closing(h)) return;
  uv_close(h, nullptr);
  ++*static_cast<size_t*>(closed);
}

}  // namespace

Result<std::unique_ptr<LoopThread>> LoopThread::start(std::string name) {
  // Every process that talks to peers has a loop thread; a peer closing its end must never kill
  // it through SIGPIPE (see common/process_signals.h).
  ignore_sigpipe();
  std::unique_ptr<LoopThread> t(new LoopThread(std::move(name)));
  auto failed = [&](const char* what, int rc) {
    return fail(Errc::io,
                "cannot start loop thread " + t->name_ + ": " + what + ": " + uv_strerror(rc));
  };
  if (int rc = uv_loop_init(&t->loop_); rc != 0) return failed("uv_loop_init", rc);
  if (int rc = uv_async_init(&t->loop_, &t->wake_, on_wake); rc != 0) {
    uv_loop_close(&t->loop_);
    return failed("uv_async_init", rc);
  }
  t->wake_.data = t.get();

  std::promise<void> started;
  auto ready = started.get_future();
  try {
    t->thread_ = std::thread(
        [self = t.get(), started = std::move(started)]() mutable { self->run(started); });
  } catch (const std::system_error& e) {
    uv_close(reinterpret_cast<uv_handle_t*>(&t->wake_), nullptr);
    uv_run(&t->loop_, UV_RUN_DEFAULT);
    uv_loop_close(&t->loop_);
    return fail(Errc::io, "cannot start loop thread " + t->name_ + ": " + e.what());
  }
  ready.wait();
  return t;
}

LoopThread::~LoopThread() {
  stop();
}

thread_local const LoopThread* LoopThread::current_ = nullptr;

void LoopThread::run(std::promise<void>& started) {
  current_ = this;
  name_this_thread(name_);
  started.set_value();

  // Returns once drain() has seen stop() and closed every handle (and their callbacks ran).
  uv_run(&loop_, UV_RUN_DEFAULT);
  // Close callbacks may have opened new handles, or left requests that keep the loop busy.
  while (uv_loop_close(&loop_) != 0) {
    size_t closed = 0;
    uv_walk(&loop_, close_handle, &closed);
    uv_run(&loop_, UV_RUN_DEFAULT);
  }
  current_ = nullptr;
}

void LoopThread::on_wake(uv_async_t* async) {
  static_cast<LoopThread*>(async->data)->drain();
}

void LoopThread::drain() {
  std::vector<std::function<void()>> batch;
  std::function<void()> shutdown;
  bool stopping;
  {
    std::lock_guard lock(mu_);
    batch.swap(queue_);
    stopping = stopping_;
    if (stopping) shutdown = std::move(shutdown_);
  }
  for (auto& fn : batch) fn();
  if (!stopping) return;

  if (shutdown) shutdown();
  size_t closed = 0;
  uv_walk(&loop_, close_handle, &closed);
  // Our own wake-up handle is always among them.
  if (closed > 1)
    log::debug("loop " + name_ + ": stop closed " + std::to_string(closed - 1) +
               " handles their owners left open");
}

bool LoopThread::enqueue(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(fn));
      // Under the lock: drain() closes wake_ only after it has seen stopping_.
      uv_async_send(&wake_);
      return true;
    }
  }
  return false;  // fn is destroyed after the lock is released
}

void LoopThread::stop(std::function<void()> shutdown) {
  require_off_loop("stop");
  std::call_once(stop_once_, [&] {
    if (!thread_.joinable()) return;  // start() failed before the thread ran
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      shutdown_ = std::move(shutdown);
      uv_async_send(&wake_);
    }
    thread_.join();
  });
}

void LoopThread::require_off_loop(const char* what) const {
  if (!on_loop_thread()) return;
  std::fprintf(stderr, "LoopThread %s: %s() on the loop thread would wait for itself\n",
               name_.c_str(), what);
  std::abort();
}

}  // namespace peerstore
