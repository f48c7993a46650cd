// estimate_ring_size: how many nodes the ring has, as one node can tell from its successor
// list (the dashboard's "ring size"). Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <vector>

#include "common/bytes.h"
#include "dht/node_ref.h"

namespace peerstore {

// A list with fewer distinct other nodes than `list_length` holds the whole ring: the answer is
// exact (them plus `self`). Otherwise its k successors span a distance d of the 2^256 ring and
// the estimate is k * 2^256 / d, the usual Chord estimate (its error shrinks like 1/sqrt(k)).
// At least 1.
double estimate_ring_size(const Id256& self, const std::vector<NodeRef>& successors,
                          size_t list_length);

}  // namespace peerstore
