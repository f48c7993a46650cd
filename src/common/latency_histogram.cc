#include "common/latency_histogram.h"

#include <algorithm>

namespace peerstore {

uint64_t LatencyHistogram::Snapshot::count() const {
  uint64_t n = 0;
  for (uint64_t c : counts) n += c;
  return n;
}

LatencyHistogram::Snapshot& LatencyHistogram::Snapshot::operator+=(const Snapshot& o) {
  for (size_t i = 0; i < kBuckets; ++i) counts[i] += o.counts[i];
  sum_us += o.sum_us;
  return *this;
}

void LatencyHistogram::record_us(uint64_t us) {
  // The first bucket whose bound is at least `us` (Prometheus buckets are "less or equal").
  size_t i = size_t(std::lower_bound(kBoundsUs.begin(), kBoundsUs.end(), us) - kBoundsUs.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
  Snapshot s;
  for (size_t i = 0; i < kBuckets; ++i) s.counts[i] = counts_[i].load(std::memory_order_relaxed);
  s.sum_us = sum_us_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace peerstore
