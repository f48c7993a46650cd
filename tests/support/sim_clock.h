// SimClock: tests only (the sim_support library). A Clock on a SimNetwork's virtual time. Its
// timers belong to one endpoint, so they stop firing when that endpoint crashes.
// Single-threaded, like the SimNetwork it uses.
#pragma once

#include "dht/clock.h"
#include "support/sim_network.h"

namespace peerstore {

class SimClock final : public Clock {
 public:
  SimClock(SimNetwork& net, int endpoint) : net_(net), ep_(endpoint) {}

  int64_t now_ms() const override { return net_.now_ms(); }
  TimerId schedule(int64_t delay_ms, std::function<void()> fn) override {
    return net_.schedule(delay_ms, ep_, std::move(fn));
  }
  void cancel(TimerId id) override { net_.cancel(id); }

 private:
  SimNetwork& net_;
  int ep_;
};

}  // namespace peerstore
