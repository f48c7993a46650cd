// AllocProbe: the largest single allocation through operator new since the probe was made,
// across all threads. This test binary replaces the global operator new to record it, so tests
// can show that a length read from the network was never used to allocate. Thread-safe.
#pragma once

#include <cstddef>

namespace peerstore::test {

class AllocProbe {
 public:
  AllocProbe();  // starts a new measurement; one probe at a time
  size_t largest() const;
};

}  // namespace peerstore::test
