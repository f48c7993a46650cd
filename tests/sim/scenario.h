// Shared steps of the sim scenarios: settling a ring to its ideal state and waiting for repair,
// with the ring invariants checked after every virtual second. Single-threaded.
#pragma once

#include <optional>
#include <string>

#include "key_book.h"
#include "ring_checker.h"
#include "sim_cluster.h"

namespace peerstore::sim {

// Runs in 1 s steps until the ring (of one group, if given) is ideal, checking safety at each
// step. Returns the virtual ms it took, or -1 with the last violation in *why. Right after a
// partition heals there are two rings, a state the ring protocol alone never reaches, so
// `safety_from_start` false waits for one ring before requiring safety.
int64_t settle(SimCluster& c, int64_t max_ms, std::string* why, std::optional<int> group = {},
               bool safety_from_start = true);

// Runs in 1 s steps until every key of the book has `target` copies on its true replicas,
// checking ring safety at each step. Returns the virtual ms it took, or -1 with the reason.
int64_t replicate(SimCluster& c, const KeyBook& book, size_t target, int64_t max_ms,
                  std::string* why, std::optional<int> group = {});

}  // namespace peerstore::sim
