// UvClock: timers fire in deadline order (schedule order for equal deadlines), never inside
// schedule(), not before their delay; cancel stops a pending timer and is a no-op for fired
// or unknown ids; a timer that keeps re-scheduling itself with no delay does not starve the
// loop; destroying the clock (even from one of its own callbacks) drops what is pending.
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

TEST_CASE("uv clock: timers fire in order, after their delay, never synchronously") {
  ClockOnLoop c;
  std::vector<int> fired;  // loop thread only
  struct Sched {
    int64_t start;
    bool sync;
  };
  auto s = c.call([&] {
    int64_t start = c.clock->now_ms();
    bool sync = false;
    c.clock->schedule(60, [&] { fired.push_back(3); });
    c.clock->schedule(0, [&] { fired.push_back(0); });
    c.clock->schedule(20, [&] { fired.push_back(1); });
    c.clock->schedule(20, [&] { fired.push_back(2); });
    c.clock->schedule(0, [&] { sync = true; });
    Sched r{start, sync};
    return r;
  });
  CHECK_FALSE(s.sync);
  REQUIRE(test::eventually([&] { return c.call([&] { return fired.size(); }) == 4; }));
  CHECK(c.call([&] { return fired; }) == std::vector<int>{0, 1, 2, 3});
  CHECK(c.call([&] { return c.clock->now_ms(); }) - s.start >= 60);
  CHECK(c.call([&] { return c.clock->pending(); }) == 0);
}

TEST_CASE("uv clock: cancel") {
  ClockOnLoop c;
  int fired = 0;  // loop thread only
  Clock::TimerId done_id = c.call([&] {
    auto a = c.clock->schedule(10, [&] { fired += 1; });
    auto b = c.clock->schedule(10, [&] { fired += 10; });
    c.clock->schedule(30, [&] { fired += 100; });
    CHECK(a != 0);
    CHECK(a != b);
    c.clock->cancel(b);
    c.clock->cancel(b);      // twice
    c.clock->cancel(12345);  // unknown
    return a;
  });
  REQUIRE(test::eventually([&] { return c.call([&] { return fired; }) == 101; }));
  c.call([&] { c.clock->cancel(done_id); });  // already fired
  // Many cancelled timers (like RPC timeouts) neither fire nor pile up.
  c.call([&] {
    for (int i = 0; i < 10000; ++i) c.clock->cancel(c.clock->schedule(60000, [&] { ++fired; }));
    CHECK(c.clock->pending() == 0);
  });
  CHECK(c.call([&] { return fired; }) == 101);
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
