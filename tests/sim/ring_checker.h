// RingChecker: the invariants of a Chord ring, checked on a SimCluster's real node state.
// safety() holds at every step of Zave's corrected protocol (given crashes leave a live entry
// in each successor list): every member has a live successor, successor lists are ordered, and
// the best-successor pointers form exactly one cycle that winds once around the id circle
// (appendages, like nodes still joining, hang off it). ideal() holds once the ring has
// stabilized: that cycle holds every member in id order (no node skipped) and every
// predecessor is right. Both return "" when they hold, else what is wrong. With a group, only
// that partition's members count as live. Single-threaded.
#pragma once

#include <optional>
#include <string>

#include "sim_cluster.h"

namespace peerstore::sim {

struct RingChecker {
  static std::string safety(const SimCluster& c, std::optional<int> group = std::nullopt);
  static std::string ideal(const SimCluster& c, std::optional<int> group = std::nullopt);
};

}  // namespace peerstore::sim
