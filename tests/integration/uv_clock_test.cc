// UvClock beyond the Clock contract (clock_conformance_test.cc covers that): cancelled timers do
// not pile up; a timer that keeps re-scheduling itself with no delay does not starve the loop;
// destroying the clock (even from one of its own callbacks) drops what is pending.
#include "dht/uv_clock.h"

#include <doctest/doctest.h>

#include "clock_rigs.h"

namespace peerstore {
namespace {

using ClockOnLoop = test::UvClockRig;

TEST_CASE("uv clock: cancelled timers do not pile up") {
  ClockOnLoop c;
  int fired = 0;  // loop thread only
  // Many cancelled timers (like RPC timeouts) neither fire nor stay in the heap.
  c.on_loop([&] {
    for (int i = 0; i < 10000; ++i)
      c.uv_clock->cancel(c.uv_clock->schedule(60000, [&] { ++fired; }));
    CHECK(c.uv_clock->pending() == 0);
    c.uv_clock->schedule(0, [&] { ++fired; });
  });
  REQUIRE(test::eventually([&] { return c.on_loop([&] { return fired; }) == 1; }));
  CHECK(c.on_loop([&] { return c.uv_clock->pending(); }) == 0);
}

TEST_CASE("uv clock: a timer re-scheduling itself at once does not starve the loop") {
  ClockOnLoop c;
  int spins = 0;      // loop thread only
  bool stop = false;  // loop thread only
  std::function<void()> spin = [&] {
    ++spins;
    if (!stop) c.uv_clock->schedule(0, spin);
  };
  c.on_loop([&] { c.uv_clock->schedule(0, spin); });
  // Posts still get through while it spins, and another timer still fires.
  bool other = false;
  c.on_loop([&] { c.uv_clock->schedule(5, [&] { other = true; }); });
  REQUIRE(test::eventually([&] { return c.on_loop([&] { return other; }); }));
  c.on_loop([&] { stop = true; });
  CHECK(c.on_loop([&] { return spins; }) > 1);
}

TEST_CASE("uv clock: destroying the clock drops pending timers, even from a callback") {
  ClockOnLoop c;
  bool late = false, early = false;  // loop thread only
  c.on_loop([&] {
    c.uv_clock->schedule(0, [&] {
      early = true;
      c.uv_clock.reset();
    });
    c.uv_clock->schedule(0, [&] { late = true; });
    c.uv_clock->schedule(50, [&] { late = true; });
  });
  REQUIRE(test::eventually([&] { return c.on_loop([&] { return early; }); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(c.on_loop([&] { return late; }));
}

}  // namespace
}  // namespace peerstore
