#include "fs/head_history.h"

#include <deque>
#include <map>
#include <set>

namespace peerstore {

Result<std::optional<Head>> merge_base(const Head& a, const Head& b, const HeadLoader& load) {
  // Down from `a` (the walk is symmetric: a maximal common ancestor is reached from either side
  // without passing another common ancestor).
  std::deque<Head> todo{a};
  std::set<Id256> seen{a.hash()};
  std::map<Id256, Head> common;
  while (!todo.empty()) {
    Head h = std::move(todo.front());
    todo.pop_front();
    auto order = compare_clocks(h, b);
    if (order == ClockOrder::before || order == ClockOrder::equal) {
      common.emplace(h.hash(), std::move(h));
      continue;
    }
    for (auto& p : h.parents) {
      if (!seen.insert(p).second) continue;
      if (seen.size() > kMaxHistoryWalk)
        return fail(Errc::too_big, "the heads diverged more than " +
                                       std::to_string(kMaxHistoryWalk) + " commits ago");
      PS_ASSIGN(Head parent, load(p));
      todo.push_back(std::move(parent));
    }
  }
  std::optional<Head> best;
  for (auto& [hash, h] : common) {
    bool dominated = false;
    for (auto& [other_hash, o] : common)
      if (compare_clocks(h, o) == ClockOrder::before) dominated = true;
    if (dominated) continue;
    if (!best || h.time_ns > best->time_ns || (h.time_ns == best->time_ns && best->hash() < hash))
      best = h;
  }
  return best;
}

}  // namespace peerstore
