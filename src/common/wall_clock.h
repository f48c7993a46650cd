// The wall clock in nanoseconds since the Unix epoch: the time of commits, pins and snapshots
// (retention's buckets are aligned to it). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

namespace peerstore {

inline int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace peerstore
