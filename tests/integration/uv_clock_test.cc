// UvClock beyond the Clock contract (clock_conformance_test.cc covers that): cancelled timers do
// not pile up; a timer that keeps re-scheduling itself with no delay does not starve the loop;
// destroying the clock (even from one of its own callbacks) drops what is pending.
#include "dht/uv_clock.h"

#include <doctest/doctest.h>

#include "dht/loop_thread.h"
#include "transport_peer.h"

namespace peerstore {
namespace {

struct ClockOnLoop {
  std::unique_ptr<LoopThread> loop;
  std::unique_ptr<UvClock> clock;  // loop thread only

  ClockOnLoop() {
    auto t = LoopThread::start("test-clock");
    REQUIRE(t.ok());
    loop = std::move(*t);
    loop->call([&] { clock = std::make_unique<UvClock>(loop->loop()); });
  }
  ~ClockOnLoop() {
    loop->stop([&] { clock.reset(); });
  }
  template <class F>
  auto call(F f) {
    return loop->call(std::move(f));
  }
};

TEST_CASE("uv clock: cancelled timers do not pile up") {
  ClockOnLoop c;
  int fired = 0;  // loop thread only
  // Many cancelled timers (like RPC timeouts) neither fire nor stay in the heap.
  c.call([&] {
    for (int i = 0; i < 10000; ++i) c.clock->cancel(c.clock->schedule(60000, [&] { ++fired; }));
    CHECK(c.clock->pending() == 0);
    c.clock->schedule(0, [&] { ++fired; });
  });
  REQUIRE(test::eventually([&] { return c.call([&] { return fired; }) == 1; }));
  CHECK(c.call([&] { return c.clock->pending(); }) == 0);
}

TEST_CASE("uv clock: a timer re-scheduling itself at once does not starve the loop") {
  ClockOnLoop c;
  int spins = 0;      // loop thread only
  bool stop = false;  // loop thread only
  std::function<void()> spin = [&] {
    ++spins;
    if (!stop) c.clock->schedule(0, spin);
  };
  c.call([&] { c.clock->schedule(0, spin); });
  // Posts still get through while it spins, and another timer still fires.
  bool other = false;
  c.call([&] { c.clock->schedule(5, [&] { other = true; }); });
  REQUIRE(test::eventually([&] { return c.call([&] { return other; }); }));
  c.call([&] { stop = true; });
  CHECK(c.call([&] { return spins; }) > 1);
}

TEST_CASE("uv clock: destroying the clock drops pending timers, even from a callback") {
  ClockOnLoop c;
  bool late = false, early = false;  // loop thread only
  c.call([&] {
    c.clock->schedule(0, [&] {
      early = true;
      c.clock.reset();
    });
    c.clock->schedule(0, [&] { late = true; });
    c.clock->schedule(50, [&] { late = true; });
  });
  REQUIRE(test::eventually([&] { return c.call([&] { return early; }); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(c.call([&] { return late; }));
}

}  // namespace
}  // namespace peerstore
