// Clock rigs for the Clock tests: SimClockRig (a SimClock on a SimNetwork that the test thread
// runs) and UvClockRig (a UvClock on a LoopThread), with one face: clock(), on_loop(f),
// wait_until(pred), let_pass(ms). Not thread-safe: the test thread drives them, and clock() and
// whatever on_loop() runs belong to the loop thread.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "dht/loop_thread.h"
#include "dht/uv_clock.h"
#include "support/sim_clock.h"
#include "transport_peer.h"

namespace peerstore::test {

// A SimClock on a SimNetwork that the test thread runs: the test thread is the loop thread.
struct SimClockRig {
  SimNetwork net{1};
  SimClock sim_clock{net, net.add_endpoint("sim-clock")};

  Clock& clock() { return sim_clock; }

  template <class F>
  auto on_loop(F f) {
    return f();
  }
  // Runs events until `pred` holds, `max_ms` of virtual time pass, or nothing is left to run.
  bool wait_until(const std::function<bool()>& pred, int64_t max_ms = 5000) {
    const int64_t deadline = net.now_ms() + max_ms;
    while (!pred()) {
      if (net.now_ms() > deadline || !net.run_one()) return pred();
    }
    return true;
  }
  void let_pass(int64_t ms) { net.run_for(ms); }
};

// A UvClock on a LoopThread; the test thread calls into the loop.
struct UvClockRig {
  std::unique_ptr<LoopThread> loop;
  std::unique_ptr<UvClock> uv_clock;  // loop thread only

  UvClockRig() {
    auto t = LoopThread::start("test-clock");
    REQUIRE(t.ok());
    loop = std::move(*t);
    loop->call([&] { uv_clock = std::make_unique<UvClock>(loop->loop()); });
  }
  ~UvClockRig() {
    loop->stop([&] { uv_clock.reset(); });
  }
  Clock& clock() { return *uv_clock; }  // loop thread only
  template <class F>
  auto on_loop(F f) {
    return loop->call(std::move(f));
  }
  bool wait_until(const std::function<bool()>& pred, int64_t max_ms = 5000) {
    return eventually([&] { return on_loop(pred); }, max_ms);
  }
  void let_pass(int64_t ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    on_loop([] {});
  }
};

}  // namespace peerstore::test
