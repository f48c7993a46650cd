// Clock: the Chord node's only source of time: monotonic milliseconds and one-shot timers.
// Production uses libuv timers; tests use SimClock (virtual time, tests/support/). Loop thread
// only: timers fire on the loop thread, never synchronously inside schedule(). Conformance suite:
// tests/integration/clock_conformance_test.cc.
#pragma once

#include <cstdint>
#include <functional>

namespace peerstore {

class Clock {
 public:
  using TimerId = uint64_t;  // never 0

  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;
  virtual TimerId schedule(int64_t delay_ms, std::function<void()> fn) = 0;
  // Cancels a pending timer; no-op if it fired already or is unknown.
  virtual void cancel(TimerId id) = 0;
};

}  // namespace peerstore
