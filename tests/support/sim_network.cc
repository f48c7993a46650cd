#include "support/sim_network.h"

#include <algorithm>
#include <cassert>

namespace peerstore {

SimNetwork::SimNetwork(uint64_t seed) : rng_(seed) {}

int SimNetwork::add_endpoint(const std::string& addr) {
  assert(!by_addr_.count(addr));
  int ep = int(eps_.size());
  eps_.push_back(Endpoint{addr, nullptr, true, 0});
  by_addr_[addr] = ep;
  return ep;
}

int SimNetwork::endpoint_of(const std::string& addr) const {
  auto it = by_addr_.find(addr);
  return it == by_addr_.end() ? -1 : it->second;
}

void SimNetwork::crash(int ep) {
  eps_[ep].up = false;
  eps_[ep].rx = nullptr;
}

void SimNetwork::restart(int ep) {
  std::erase_if(events_, [ep](const auto& e) { return e.second.owner == ep; });
  eps_[ep].up = true;
}

SimNetwork::EventId SimNetwork::schedule(int64_t delay_ms, int owner, std::function<void()> fn) {
  EventId id = next_id_++;
  events_.emplace(id, Event{owner, std::move(fn)});
  queue_.push(Slot{now_ + std::max<int64_t>(0, delay_ms), id});
  return id;
}

void SimNetwork::cancel(EventId id) {
  events_.erase(id);
}

bool SimNetwork::run_one() {
  while (!queue_.empty()) {
    Slot s = queue_.top();
    queue_.pop();
    auto it = events_.find(s.id);
    if (it == events_.end()) continue;  // cancelled
    Event ev = std::move(it->second);
    events_.erase(it);
    now_ = s.at;
    if (ev.owner != kNoOwner && !eps_[ev.owner].up) continue;
    ++stats_.events;
    ev.fn();
    return true;
  }
  return false;
}

void SimNetwork::run_until(int64_t t_ms) {
  while (!queue_.empty()) {
    if (queue_.top().at > t_ms) break;
    run_one();
  }
  if (now_ < t_ms) now_ = t_ms;
}

void SimNetwork::send(int from_ep, const std::string& to, Bytes message) {
  ++stats_.sent;
  int dst = endpoint_of(to);
  if (dst < 0 || !eps_[dst].up) {
    ++stats_.to_dead;
    return;
  }
  if (!reachable(from_ep, dst)) {
    ++stats_.blocked;
    return;
  }
  if (loss_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < loss_) {
    ++stats_.lost;
    return;
  }
  int64_t lat = std::uniform_int_distribution<int64_t>(lat_min_, lat_max_)(rng_);
  // Like TCP, one pair's messages arrive in the order sent: none overtakes an earlier one (equal
  // times keep the order of scheduling).
  int64_t& last = last_arrival_[(uint64_t(uint32_t(from_ep)) << 32) | uint32_t(dst)];
  last = std::max(now_ + lat, last);
  schedule(last - now_, dst, [this, from_ep, dst, m = std::move(message)]() mutable {
    if (!reachable(from_ep, dst)) {  // partitioned while in flight
      ++stats_.blocked;
      return;
    }
    if (tamper_ && !tamper_(eps_[from_ep].addr, eps_[dst].addr, m)) return;
    if (!eps_[dst].rx) return;
    ++stats_.delivered;
    eps_[dst].rx(eps_[from_ep].addr, std::nullopt, m);
  });
}

void SimNetwork::heal() {
  for (auto& e : eps_) e.group = 0;
}

}  // namespace peerstore
