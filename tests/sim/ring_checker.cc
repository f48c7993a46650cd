#include "ring_checker.h"

#include <unordered_map>

#include "dht/ring.h"

namespace peerstore::sim {
namespace {

struct View {
  std::vector<size_t> members;                      // sorted by id
  std::unordered_map<std::string, size_t> by_addr;  // live members only
};

View view_of(const SimCluster& c, std::optional<int> group) {
  View v;
  v.members = c.ring_order(group);
  for (size_t i : v.members) v.by_addr[c.peer(i).addr] = i;
  return v;
}

// The first live entry of the node's successor list; the node itself when it believes it is
// alone; nullopt when every entry is dead.
std::optional<size_t> best_successor(const SimCluster& c, const View& v, size_t i) {
  const auto& succs = c.peer(i).node->routing().successors();
  if (succs.empty()) return i;
  for (auto& s : succs) {
    auto it = v.by_addr.find(s.addr);
    if (it != v.by_addr.end() && c.peer(it->second).id == s.id) return it->second;
  }
  return std::nullopt;
}

std::string name(const SimCluster& c, size_t i) {
  return c.peer(i).addr + "/" + c.peer(i).id.short_hex();
}

}  // namespace

std::string RingChecker::safety(const SimCluster& c, std::optional<int> group) {
  View v = view_of(c, group);
  if (v.members.empty()) return "";
  std::unordered_map<size_t, size_t> best;
  for (size_t i : v.members) {
    const auto& succs = c.peer(i).node->routing().successors();
    // Ordered successor list: each entry strictly between the previous one and the node.
    for (size_t k = 1; k < succs.size(); ++k)
      if (!ring::in_open(succs[k].id, succs[k - 1].id, c.peer(i).id))
        return name(c, i) + ": successor list out of order at " + std::to_string(k);
    auto b = best_successor(c, v, i);
    if (!b)
      return name(c, i) + ": no live successor in its list of " + std::to_string(succs.size());
    if (*b == i && v.members.size() > 1 && !succs.empty())
      return name(c, i) + ": lists itself as successor";
    best[i] = *b;
  }
  // Cycles of the best-successor graph.
  std::unordered_map<size_t, int> state;  // 0 new, 1 on the current path, 2 done
  std::vector<std::vector<size_t>> cycles;
  for (size_t start : v.members) {
    if (state[start]) continue;
    std::vector<size_t> path;
    size_t x = start;
    while (state[x] == 0) {
      state[x] = 1;
      path.push_back(x);
      x = best[x];
    }
    if (state[x] == 1) {  // a new cycle, from x to the end of the path
      auto it = std::find(path.begin(), path.end(), x);
      cycles.emplace_back(it, path.end());
    }
    for (size_t p : path) state[p] = 2;
  }
  if (cycles.size() != 1) {
    // The sizes, and the first node of each ring: enough to tell a lone node from a real split.
    std::string rings;
    for (auto& cyc : cycles)
      rings += (rings.empty() ? "" : ", ") + std::to_string(cyc.size()) + " from " +
               name(c, cyc.front());
    return std::to_string(cycles.size()) + " rings among " + std::to_string(v.members.size()) +
           " members (sizes " + rings + ")";
  }
  auto& cyc = cycles.front();
  if (cyc.size() > 1) {
    size_t wraps = 0;
    for (size_t k = 0; k < cyc.size(); ++k) {
      size_t a = cyc[k], b = cyc[(k + 1) % cyc.size()];
      if (!(c.peer(a).id < c.peer(b).id)) ++wraps;
    }
    if (wraps != 1)
      return "the ring of " + std::to_string(cyc.size()) + " nodes winds " + std::to_string(wraps) +
             " times around the circle";
  }
  return "";
}

std::string RingChecker::ideal(const SimCluster& c, std::optional<int> group) {
  if (auto s = safety(c, group); !s.empty()) return s;
  View v = view_of(c, group);
  size_t n = v.members.size();
  for (size_t k = 0; k < n; ++k) {
    size_t i = v.members[k], next = v.members[(k + 1) % n], prev = v.members[(k + n - 1) % n];
    auto b = best_successor(c, v, i);
    if (*b != next)
      return name(c, i) + ": successor " + name(c, *b) + ", should be " + name(c, next);
    const auto& succs = c.peer(i).node->routing().successors();
    if (n > 1 && succs.front().id != c.peer(next).id)
      return name(c, i) + ": dead first successor " + succs.front().str();
    // The whole successor list is the next r members: no node skipped, none dead.
    size_t want = std::min<size_t>(c.config().successors, n - 1);
    if (succs.size() != want)
      return name(c, i) + ": " + std::to_string(succs.size()) + " successors, should be " +
             std::to_string(want);
    for (size_t j = 0; j < want; ++j)
      if (succs[j].id != c.peer(v.members[(k + 1 + j) % n]).id)
        return name(c, i) + ": successor " + std::to_string(j) + " is " + succs[j].str() +
               ", should be " + name(c, v.members[(k + 1 + j) % n]);
    auto p = c.peer(i).node->routing().predecessor();
    if (n > 1 && (!p || p->id != c.peer(prev).id))
      return name(c, i) + ": predecessor " + (p ? p->str() : std::string("none")) + ", should be " +
             name(c, prev);
  }
  return "";
}

}  // namespace peerstore::sim
