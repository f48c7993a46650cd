// UvClock: the production Clock: uv_now() milliseconds (monotonic; libuv caches it once per
// loop iteration) and one-shot timers kept in a heap under a single uv_timer_t. Timers due at
// the same moment fire in the order they were scheduled. Loop thread only; destroy it on the
// loop thread (pending timers are dropped, never run).
#pragma once

#include <uv.h>

#include <unordered_map>
#include <vector>

#include "dht/clock.h"

namespace peerstore {

class UvClock final : public Clock {
 public:
  explicit UvClock(uv_loop_t* loop);
  ~UvClock() override;
  UvClock(const UvClock&) = delete;
  UvClock& operator=(const UvClock&) = delete;

  int64_t now_ms() const override { return int64_t(uv_now(loop_)); }
  TimerId schedule(int64_t delay_ms, std::function<void()> fn) override;
  void cancel(TimerId id) override;

  size_t pending() const { return fns_.size(); }

 private:
  struct Due {
    int64_t at;
    TimerId id;  // ids increase, so they order timers due at the same moment
    bool operator>(const Due& o) const { return at != o.at ? at > o.at : id > o.id; }
  };
  static void on_timer(uv_timer_t* t);
  void fire();
  void arm(int64_t min_delay_ms);
  void compact();

  uv_loop_t* loop_;
  uv_timer_t* timer_;  // on the heap: its close callback frees it after we are gone
  TimerId next_id_ = 1;
  std::vector<Due> heap_;  // min-heap; entries of cancelled timers stay until they surface
  std::unordered_map<TimerId, std::function<void()>> fns_;
  int64_t armed_at_ = -1;
  bool* destroyed_ = nullptr;  // set while fire() runs callbacks, which may destroy us
};

}  // namespace peerstore
