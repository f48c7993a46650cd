// SimNetwork: tests only (the sim_support library in tests/support/, never in the product). A
// deterministic simulated network and event loop that runs thousands of real Chord nodes in one
// process: virtual time, one seeded PRNG, per-message latency, loss, partitions, crashes and a
// tamper hook. Every timer and message delivery is an event ordered by (time, sequence), so a
// seed replays exactly. Nodes reach it through SimTransport and SimClock endpoints.
// Single-threaded: everything runs on the thread that calls run_*().
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "dht/transport.h"

namespace peerstore {

class SimNetwork {
 public:
  using EventId = uint64_t;
  static constexpr int kNoOwner = -1;  // harness events: never dropped by a crash

  explicit SimNetwork(uint64_t seed);

  int64_t now_ms() const { return now_; }
  std::mt19937_64& rng() { return rng_; }

  // Endpoints: one per simulated node address. Returns its index.
  int add_endpoint(const std::string& addr);
  int endpoint_of(const std::string& addr) const;  // -1 if unknown
  const std::string& address_of(int ep) const { return eps_[ep].addr; }
  void set_receiver(int ep, Transport::Receiver rx) { eps_[ep].rx = std::move(rx); }
  // A crash: the endpoint stops receiving, and its pending timers and in-flight deliveries are
  // dropped. Permanent (a restarted node gets a new endpoint).
  void crash(int ep);
  // The endpoint comes back (a restarted process at the same address); whatever the crashed
  // one had scheduled is dropped for good.
  void restart(int ep);
  bool is_up(int ep) const { return eps_[ep].up; }

  // Events.
  EventId schedule(int64_t delay_ms, int owner, std::function<void()> fn);
  void cancel(EventId id);
  bool run_one();  // false if no event is pending
  void run_until(int64_t t_ms);
  void run_for(int64_t ms) { run_until(now_ + ms); }
  size_t pending_events() const { return events_.size(); }

  // Messages. Each takes a random latency, but one pair's messages arrive in the order sent, as
  // on the TCP transport's one connection per pair (lost ones leave gaps).
  void send(int from_ep, const std::string& to, Bytes message);
  void set_latency(int64_t min_ms, int64_t max_ms) {
    lat_min_ = min_ms;
    lat_max_ = max_ms;
  }
  void set_loss(double p) { loss_ = p; }
  // Endpoints in different groups cannot reach each other; group 0 for everyone heals.
  void set_group(int ep, int group) { eps_[ep].group = group; }
  void heal();
  bool reachable(int a, int b) const { return eps_[a].group == eps_[b].group; }
  // Called for every message about to be delivered; may change it, or return false to drop it.
  using Tamper = std::function<bool(const std::string& from, const std::string& to, Bytes& msg)>;
  void set_tamper(Tamper t) { tamper_ = std::move(t); }

  struct Stats {
    uint64_t sent = 0, delivered = 0, lost = 0, blocked = 0, to_dead = 0, events = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Endpoint {
    std::string addr;
    Transport::Receiver rx;
    bool up = true;
    int group = 0;
  };
  struct Event {
    int owner;
    std::function<void()> fn;
  };
  struct Slot {
    int64_t at;
    EventId id;
    bool operator>(const Slot& o) const { return at != o.at ? at > o.at : id > o.id; }
  };

  std::mt19937_64 rng_;
  int64_t now_ = 0;
  EventId next_id_ = 1;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<Slot>> queue_;
  std::unordered_map<EventId, Event> events_;
  std::vector<Endpoint> eps_;
  std::unordered_map<std::string, int> by_addr_;
  int64_t lat_min_ = 5, lat_max_ = 50;
  std::unordered_map<uint64_t, int64_t> last_arrival_;  // per (from, to) pair: FIFO delivery
  double loss_ = 0;
  Tamper tamper_;
  Stats stats_;
};

}  // namespace peerstore
