#include "fs/mass_delete_brake.h"

#include <algorithm>

namespace peerstore {

void MassDeleteBrake::removed(int64_t time_ns, uint64_t where) {
  int64_t window_ns = int64_t(cfg_.window.count()) * 1'000'000'000;
  time_ns = std::max(time_ns, last_);
  if (quiet_ && time_ns - last_ > window_ns) quiet_ = false;  // the burst ended: armed again
  last_ = time_ns;
  if (quiet_) return;
  times_.emplace_back(time_ns, where);
  ++places_[where];
  while (!times_.empty() && times_.front().first < time_ns - window_ns) {
    auto it = places_.find(times_.front().second);
    if (--it->second == 0) places_.erase(it);
    times_.pop_front();
  }
}

std::optional<int64_t> MassDeleteBrake::window_start() const {
  if (times_.empty()) return std::nullopt;
  return times_.front().first;
}

bool MassDeleteBrake::counting_due() const {
  return cfg_.on && !quiet_ && places_.size() >= kMinRemovals;
}

bool MassDeleteBrake::trips(uint64_t files_before) const {
  if (!counting_due()) return false;
  uint64_t n = places_.size();
  return n >= cfg_.files || n * 100 > uint64_t(cfg_.percent) * files_before;
}

void MassDeleteBrake::tripped() {
  quiet_ = true;
  times_.clear();
  places_.clear();
}

}  // namespace peerstore
