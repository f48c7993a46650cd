// LatencyHistogram: how long something took, counted in fixed buckets (the Prometheus shape:
// cumulative counts below each bound, a sum and a count), for /metrics. record() is lock-free
// (relaxed atomics) and thread-safe; snapshot() may run at the same time and sees each counter
// at some recent value, which is all a scrape needs.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace peerstore {

class LatencyHistogram {
 public:
  // Upper bounds of the buckets, in microseconds: 100 µs to 10 s, about ×2.5 apart; one more
  // bucket takes what is slower.
  static constexpr std::array<uint64_t, 16> kBoundsUs = {
      100,    250,     500,     1'000,   2'500,     5'000,     10'000,    25'000,
      50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000};
  static constexpr size_t kBuckets = kBoundsUs.size() + 1;

  struct Snapshot {
    std::array<uint64_t, kBuckets> counts{};  // per bucket (not cumulative); the last: slower
    uint64_t sum_us = 0;
    uint64_t count() const;
    Snapshot& operator+=(const Snapshot& o);
  };

  LatencyHistogram() = default;
  LatencyHistogram(const LatencyHistogram&) = delete;
  LatencyHistogram& operator=(const LatencyHistogram&) = delete;

  void record_us(uint64_t us);
  Snapshot snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> sum_us_{0};
};

}  // namespace peerstore
