// wait_until: polls a condition until it holds or a deadline passes, for tests that wait on
// other processes (ring formation, repair, exits). Runs on the caller's thread; header-only.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace peerstore::test {

// Calls `pred` at once, then every `interval`, until it returns true (→ true) or `timeout` has
// passed (→ false, after one last call at the deadline, so a slow poll still gets its chance).
template <class Pred>
bool wait_until(Pred&& pred, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(250)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(interval, deadline - now));
  }
}

// Seconds since `start`, for the timings tests print.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace peerstore::test
