#include "dht/ring_size.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "dht/ring.h"

namespace peerstore {

double estimate_ring_size(const Id256& self, const std::vector<NodeRef>& successors,
                          size_t list_length) {
  std::set<Id256> others;
  for (auto& n : successors)
    if (n.id != self) others.insert(n.id);
  if (others.size() < list_length || others.empty()) return double(others.size() + 1);
  // The farthest successor, clockwise; its distance as a fraction of the ring.
  Id256 d{};
  for (auto& id : others) d = std::max(d, ring::distance(self, id));
  double fraction = std::ldexp(double(ring::top_u64(d)), -64) +
                    std::ldexp(double(get_u64be(d.b.data() + 8)), -128);
  if (fraction <= 0) return double(others.size() + 1);
  return std::max(double(others.size() + 1), double(others.size()) / fraction);
}

}  // namespace peerstore
