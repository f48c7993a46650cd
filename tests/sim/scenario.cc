#include "scenario.h"

namespace peerstore::sim {

int64_t settle(SimCluster& c, int64_t max_ms, std::string* why, std::optional<int> group,
               bool safety_from_start) {
  int64_t start = c.net().now_ms();
  bool require_safety = safety_from_start;
  for (;;) {
    *why = RingChecker::safety(c, group);
    if (why->empty()) require_safety = true;
    if (!why->empty() && require_safety) return -1;
    *why = RingChecker::ideal(c, group);
    if (why->empty()) return c.net().now_ms() - start;
    if (c.net().now_ms() - start >= max_ms) return -1;
    c.run_for(1000);
  }
}

int64_t replicate(SimCluster& c, const KeyBook& book, size_t target, int64_t max_ms,
                  std::string* why, std::optional<int> group) {
  int64_t start = c.net().now_ms();
  for (;;) {
    *why = RingChecker::safety(c, group);
    if (!why->empty()) return -1;
    auto r = book.check(c, target, group);
    if (r.under == 0) return c.net().now_ms() - start;
    *why = std::to_string(r.under) + " of " + std::to_string(r.keys) + " keys under " +
           std::to_string(target) + " copies (" + std::to_string(r.lost) + " lost), e.g. " +
           r.first_problem;
    if (c.net().now_ms() - start >= max_ms) return -1;
    c.run_for(1000);
  }
}

}  // namespace peerstore::sim
