#include "fs/space_budget.h"

#include <algorithm>

namespace peerstore {

SpaceBudget::SpaceBudget(Probe probe, std::chrono::milliseconds max_age, uint64_t slack)
    : probe_(std::move(probe)), max_age_(max_age), slack_(slack) {}

uint64_t SpaceBudget::reserve_for(uint64_t total) {
  return std::clamp<uint64_t>(total / 50, uint64_t(4) << 20, uint64_t(256) << 20);
}

bool SpaceBudget::admit_data(uint64_t more) {
  return admit(more, false);
}

bool SpaceBudget::admit_metadata() {
  return admit(0, true);
}

bool SpaceBudget::look(bool settled) {
  auto l = probe_(settled);
  if (!l) return false;
  last_ = *l;
  probed_ = true;
  probed_at_ = Clock::now();
  admitted_since_ = 0;
  return true;
}

bool SpaceBudget::admit(uint64_t more, bool metadata) {
  // Everything unstored now was unstored at the last look or admitted since; what was stored
  // meanwhile left `free` with it. So the last look's free space must cover the last look's
  // unstored bytes, everything admitted since, this and the reserve.
  uint64_t reserve = reserve_for(last_.space.total) + slack_;
  auto fits = [&] {
    reserve = reserve_for(last_.space.total) + slack_;
    uint64_t keep = metadata ? reserve / 2 : reserve;
    uint64_t need = last_.unstored + admitted_since_ + more + keep;
    return need >= more && last_.space.free >= need;  // (no overflow)
  };
  bool fresh = probed_ && Clock::now() - probed_at_ < max_age_;
  if (!(fresh && fits())) {
    if (!look(false)) return true;  // a store that cannot say admits
    // The quick look may have counted a batch being stored twice: refuse only on a settled one.
    if (!fits() && look(true) && !fits()) {
      refusal_ = std::to_string(last_.space.free >> 10) + " KiB free, " +
                 std::to_string(last_.unstored >> 10) + " KiB accepted and not stored yet, " +
                 std::to_string(more >> 10) + " KiB asked, " +
                 std::to_string((metadata ? reserve / 2 : reserve) >> 10) + " KiB reserve";
      return false;
    }
  }
  admitted_since_ += more;
  return true;
}

}  // namespace peerstore
