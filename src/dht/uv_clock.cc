#include "dht/uv_clock.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace peerstore {

UvClock::UvClock(uv_loop_t* loop) : loop_(loop), timer_(new uv_timer_t) {
  if (int rc = uv_timer_init(loop_, timer_); rc != 0) {
    // Cannot fail on Unix (it only links the handle into the loop).
    std::fprintf(stderr, "UvClock: uv_timer_init: %s\n", uv_strerror(rc));
    std::abort();
  }
  timer_->data = this;
}

UvClock::~UvClock() {
  if (destroyed_) *destroyed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

Clock::TimerId UvClock::schedule(int64_t delay_ms, std::function<void()> fn) {
  TimerId id = next_id_++;
  int64_t at = now_ms() + std::max<int64_t>(delay_ms, 0);
  fns_.emplace(id, std::move(fn));
  heap_.push_back({at, id});
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
  // Inside fire() the timer is re-armed when the callbacks are done.
  if (!destroyed_ && (armed_at_ < 0 || at < armed_at_)) arm(0);
  return id;
}

void UvClock::cancel(TimerId id) {
  if (fns_.erase(id) == 0) return;
  // The timer stays armed (one spurious wake-up at most); only keep the heap from growing when
  // most timers are cancelled long before they are due, as RPC timeouts are.
  if (heap_.size() > 64 + 2 * fns_.size()) compact();
}

void UvClock::compact() {
  std::erase_if(heap_, [&](const Due& d) { return !fns_.contains(d.id); });
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
}

void UvClock::on_timer(uv_timer_t* t) {
  static_cast<UvClock*>(t->data)->fire();
}

void UvClock::fire() {
  armed_at_ = -1;
  const int64_t now = now_ms();
  // Timers scheduled by the callbacks below wait for the next loop iteration, so a callback
  // that keeps re-scheduling itself with no delay cannot starve I/O.
  const TimerId first_new = next_id_;
  bool destroyed = false;
  destroyed_ = &destroyed;
  while (!heap_.empty() && heap_.front().at <= now && heap_.front().id < first_new) {
    TimerId id = heap_.front().id;
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
    auto it = fns_.find(id);
    if (it == fns_.end()) continue;  // cancelled
    auto fn = std::move(it->second);
    fns_.erase(it);
    fn();
    if (destroyed) return;
  }
  destroyed_ = nullptr;
  // libuv (1.44) runs a timer re-armed with 0 inside its own callback in the same pass; 1 ms
  // defers what the callbacks scheduled to the next iteration, after I/O has been polled.
  arm(1);
}

void UvClock::arm(int64_t min_delay_ms) {
  while (!heap_.empty() && !fns_.contains(heap_.front().id)) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
    heap_.pop_back();
  }
  if (heap_.empty()) {
    uv_timer_stop(timer_);
    armed_at_ = -1;
    return;
  }
  armed_at_ = heap_.front().at;
  int64_t delay = std::max(armed_at_ - now_ms(), min_delay_ms);
  uv_timer_start(timer_, on_timer, uint64_t(delay), 0);
}

}  // namespace peerstore
