// The seed of a sim test: PEERSTORE_SIM_SEED when set (to replay a failure), else the test's
// fixed default, so CI runs are reproducible. Tests print it with INFO. PEERSTORE_SIM_SCALE
// multiplies the ring sizes of the churn, partition and loss scenarios (CI runs them at 400, 200
// and 200 nodes to stay within its time budget). Stateless.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace peerstore::sim {

inline uint64_t seed_or(uint64_t fallback) {
  if (const char* s = std::getenv("PEERSTORE_SIM_SEED"); s && *s)
    return std::strtoull(s, nullptr, 0);
  return fallback;
}

inline size_t scaled(size_t n) {
  if (const char* s = std::getenv("PEERSTORE_SIM_SCALE"); s && *s) {
    double f = std::strtod(s, nullptr);
    if (f > 0) return size_t(double(n) * f);
  }
  return n;
}

}  // namespace peerstore::sim
