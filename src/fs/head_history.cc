#include "fs/head_history.h"

#include <algorithm>
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

namespace {

unsigned __int128 clock_sum(const Head& h) {
  unsigned __int128 s = 0;
  for (auto& [dev, n] : h.clock) s += n;
  return s;
}

}  // namespace

Result<bool> same_history(const Head& a, const Head& b, const HeadLoader& load) {
  return holds_history(a, b, load);
}

Result<bool> holds_history(const Head& a, const Head& b, const HeadLoader& load) {
  if (a.hash() == b.hash()) return true;
  // Painting down both histories, latest first: a head reached from both is common; what is
  // below a common head is marked stale and only walked to carry the mark. A parent's vector
  // sum is below its child's, so a head is taken only after every child that leads to it.
  enum : uint8_t { kFromA = 1, kFromB = 2, kStale = 4 };
  using Key = std::pair<unsigned __int128, Id256>;
  std::map<Key, Head> queue;
  struct Mark {
    uint8_t flags = 0;
    unsigned __int128 sum = 0;
    bool queued = false;
  };
  std::map<Id256, Mark> marks;
  size_t live = 0;  // queued heads that are not stale
  auto add_flags = [&](Mark& m, uint8_t f) {
    bool was_live = m.queued && !(m.flags & kStale);
    m.flags |= f;
    if (was_live && (m.flags & kStale)) --live;
  };
  auto enqueue = [&](Head h, uint8_t f) {
    Id256 id = h.hash();
    Mark& m = marks[id];
    m.sum = clock_sum(h);
    m.flags = f;
    m.queued = true;
    if (!(f & kStale)) ++live;
    queue.emplace(Key{m.sum, id}, std::move(h));
  };
  enqueue(a, kFromA);
  enqueue(b, kFromB);
  std::map<Id256, uint64_t> reached;  // per device, the most the common heads reach
  while (live > 0) {
    auto last = std::prev(queue.end());
    Head h = std::move(last->second);
    queue.erase(last);
    Mark& m = marks[h.hash()];
    m.queued = false;
    uint8_t f = m.flags;
    if (!(f & kStale)) {
      --live;
      if ((f & (kFromA | kFromB)) == (kFromA | kFromB)) {
        for (auto& [dev, n] : h.clock) reached[dev] = std::max(reached[dev], n);
        f |= kStale;
      }
    }
    for (auto& p : h.parents) {
      if (auto known = marks.find(p); known != marks.end()) {
        add_flags(known->second, f);
        continue;
      }
      if (marks.size() > kMaxHistoryWalk)
        return fail(Errc::too_big, "the heads diverged more than " +
                                       std::to_string(kMaxHistoryWalk) + " commits ago");
      PS_ASSIGN(Head parent, load(p));
      enqueue(std::move(parent), f);
    }
  }
  // What both descend from must reach every device's count in b's vector: then a's history
  // holds every commit b's does (the vectors counted are of b's own history, trusted).
  for (auto& [dev, n] : b.clock) {
    auto it = reached.find(dev);
    if (n > 0 && (it == reached.end() || it->second < n)) return false;
  }
  return true;
}

History walk_history(const std::vector<Head>& tips, const HeadLoader& load) {
  History out;
  std::set<Id256> asked;  // each parent is loaded (or found missing) once
  std::deque<Head> todo(tips.begin(), tips.end());
  while (!todo.empty()) {
    Head h = std::move(todo.front());
    todo.pop_front();
    Id256 hash = h.hash();
    if (out.heads.count(hash)) continue;
    if (out.heads.size() >= kMaxHistoryWalk) {
      out.cut = true;
      break;
    }
    for (const Id256& p : h.parents) {
      if (out.heads.count(p) || !asked.insert(p).second) continue;
      auto parent = load(p);
      if (parent)
        todo.push_back(std::move(*parent));
      else
        out.missing.emplace_back(p, parent.error());
    }
    out.heads.emplace(hash, std::move(h));
  }
  return out;
}

}  // namespace peerstore
