// The Clock conformance suite (src/dht/clock.h), run against every implementation: SimClock
// (virtual time on a SimNetwork) and UvClock (libuv timers on a LoopThread). Timers fire in
// deadline order (schedule order for equal deadlines), never before their delay and never inside
// schedule(); cancel stops a pending timer and is a no-op for fired and unknown ids; now_ms() never
// goes back; zero and negative delays fire soon; timers set or cancelled from timer callbacks
// behave like the rest. In integration/ because UvClock needs a real loop; no sockets.
#include <doctest/doctest.h>

#include <set>

#include "clock_rigs.h"

namespace peerstore {
namespace {

using test::SimClockRig;
using test::UvClockRig;

#define CLOCKS SimClockRig, UvClockRig

struct Fired {
  int tag;
  int64_t at;  // now_ms() when it fired
};

TEST_CASE_TEMPLATE("clock: timers fire in deadline order, after their delay, never at once", Rig,
                   CLOCKS) {
  Rig r;
  Clock& c = r.clock();
  std::vector<Fired> fired;  // loop thread only
  auto note = [&](int tag) { return [&, tag] { fired.push_back({tag, c.now_ms()}); }; };
  bool ran = false;  // loop thread only
  int64_t start = r.on_loop([&] {
    int64_t now = c.now_ms();
    c.schedule(60, note(4));
    c.schedule(0, note(0));
    c.schedule(20, note(2));
    c.schedule(20, note(3));  // same deadline: after the one scheduled before it
    c.schedule(5, note(1));
    c.schedule(0, [&] { ran = true; });
    CHECK_FALSE(ran);
    return now;
  });
  REQUIRE(r.wait_until([&] { return fired.size() == 5; }));
  r.on_loop([&] {
    const int64_t delays[] = {0, 5, 20, 20, 60};
    for (int i = 0; i < 5; ++i) {
      CHECK(fired[size_t(i)].tag == i);
      CHECK(fired[size_t(i)].at - start >= delays[i]);
    }
    CHECK(ran);
  });
}

TEST_CASE_TEMPLATE("clock: ids, and cancel", Rig, CLOCKS) {
  Rig r;
  Clock& c = r.clock();
  int fired = 0;  // loop thread only
  Clock::TimerId first = r.on_loop([&] {
    auto a = c.schedule(10, [&] { fired += 1; });
    auto b = c.schedule(10, [&] { fired += 10; });
    auto d = c.schedule(20, [&] { fired += 1000; });
    c.schedule(30, [&] { fired += 100; });
    CHECK(a != 0);
    CHECK(b != 0);
    CHECK(a != b);
    CHECK(b != d);
    c.cancel(b);
    c.cancel(b);  // twice
    c.cancel(d);
    c.cancel(Clock::TimerId(0x7fffffff));  // unknown
    return a;
  });
  REQUIRE(r.wait_until([&] { return fired == 101; }));
  r.on_loop([&] { c.cancel(first); });  // already fired
  r.let_pass(30);
  CHECK(r.on_loop([&] { return fired; }) == 101);
  // Ids are not reused while timers are pending.
  r.on_loop([&] {
    std::set<Clock::TimerId> ids;
    for (int i = 0; i < 1000; ++i) ids.insert(c.schedule(60000, [&] { ++fired; }));
    CHECK(ids.size() == 1000);
    CHECK_FALSE(ids.count(0));
    for (auto id : ids) c.cancel(id);
  });
  r.let_pass(10);
  CHECK(r.on_loop([&] { return fired; }) == 101);
}

TEST_CASE_TEMPLATE("clock: now_ms() never goes back and moves on", Rig, CLOCKS) {
  Rig r;
  Clock& c = r.clock();
  std::vector<int64_t> seen;  // loop thread only
  int64_t start = r.on_loop([&] { return c.now_ms(); });
  r.on_loop([&] {
    for (int i = 0; i < 20; ++i) c.schedule(i % 7, [&] { seen.push_back(c.now_ms()); });
    c.schedule(40, [&] { seen.push_back(c.now_ms()); });
  });
  REQUIRE(r.wait_until([&] { return seen.size() == 21; }));
  r.on_loop([&] {
    CHECK(seen.front() >= start);
    for (size_t i = 1; i < seen.size(); ++i) CHECK(seen[i] >= seen[i - 1]);
    CHECK(seen.back() - start >= 40);
    CHECK(c.now_ms() >= seen.back());
  });
}

TEST_CASE_TEMPLATE("clock: zero and negative delays fire soon, in schedule order", Rig, CLOCKS) {
  Rig r;
  Clock& c = r.clock();
  std::vector<int> fired;  // loop thread only
  r.on_loop([&] {
    c.schedule(0, [&] { fired.push_back(0); });
    c.schedule(-5, [&] { fired.push_back(1); });  // as if 0
    c.schedule(0, [&] { fired.push_back(2); });
    CHECK(fired.empty());
  });
  REQUIRE(r.wait_until([&] { return fired.size() == 3; }, 1000));
  CHECK(r.on_loop([&] { return fired; }) == std::vector<int>{0, 1, 2});
}

TEST_CASE_TEMPLATE("clock: timers set and cancelled from timer callbacks", Rig, CLOCKS) {
  Rig r;
  Clock& c = r.clock();
  std::vector<int> fired;  // loop thread only
  r.on_loop([&] {
    c.schedule(300, [&] { fired.push_back(3); });
    c.schedule(10, [&] {
      fired.push_back(1);
      // Not inside this callback: after it, and before the timer due at 300.
      c.schedule(0, [&] { fired.push_back(2); });
      c.schedule(400, [&] { fired.push_back(4); });
      CHECK(fired == std::vector<int>{1});
    });
  });
  REQUIRE(r.wait_until([&] { return fired.size() == 4; }));
  CHECK(r.on_loop([&] { return fired; }) == std::vector<int>{1, 2, 3, 4});

  // A callback cancels a timer due at the same moment, and one due later: neither fires.
  Clock::TimerId same = 0, later = 0;  // loop thread only
  r.on_loop([&] {
    fired.clear();
    c.schedule(10, [&] {
      fired.push_back(5);
      c.cancel(same);
      c.cancel(later);
    });
    same = c.schedule(10, [&] { fired.push_back(6); });
    later = c.schedule(20, [&] { fired.push_back(7); });
    c.schedule(40, [&] { fired.push_back(8); });
  });
  REQUIRE(r.wait_until([&] { return fired.size() == 2; }));
  r.let_pass(20);
  CHECK(r.on_loop([&] { return fired; }) == std::vector<int>{5, 8});
}

TEST_CASE_TEMPLATE("clock: a timer that re-schedules itself repeats", Rig, CLOCKS) {
  Rig r;
  Clock& c = r.clock();
  std::vector<int64_t> ticks;  // loop thread only
  std::function<void()> tick = [&] {
    ticks.push_back(c.now_ms());
    if (ticks.size() < 5) c.schedule(10, tick);
  };
  int64_t start = r.on_loop([&] {
    c.schedule(10, tick);
    return c.now_ms();
  });
  REQUIRE(r.wait_until([&] { return ticks.size() == 5; }));
  r.on_loop([&] {
    for (size_t i = 0; i < ticks.size(); ++i) CHECK(ticks[i] - start >= int64_t(10 * (i + 1)));
  });
}

}  // namespace
}  // namespace peerstore
