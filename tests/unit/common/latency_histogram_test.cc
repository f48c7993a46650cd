// LatencyHistogram: each duration lands in the first bucket whose bound holds it (bounds are
// inclusive, as Prometheus's "le"), slower ones in the last; sums and merges add up; concurrent
// records are all counted.
#include "common/latency_histogram.h"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

namespace peerstore {
namespace {

TEST_CASE("latency histogram: buckets are inclusive of their bound, and the last takes the rest") {
  LatencyHistogram h;
  h.record_us(0);
  h.record_us(100);  // the first bound itself
  h.record_us(101);  // just past it
  h.record_us(10'000'000);
  h.record_us(10'000'001);
  h.record_us(UINT64_C(1) << 40);
  auto s = h.snapshot();
  CHECK(s.counts[0] == 2);
  CHECK(s.counts[1] == 1);
  CHECK(s.counts[LatencyHistogram::kBuckets - 2] == 1);
  CHECK(s.counts[LatencyHistogram::kBuckets - 1] == 2);
  CHECK(s.count() == 6);
  CHECK(s.sum_us == 0 + 100 + 101 + 10'000'000 + 10'000'001 + (UINT64_C(1) << 40));
}

TEST_CASE("latency histogram: snapshots merge, and records from many threads all count") {
  LatencyHistogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&h, t] {
      for (int i = 0; i < 10000; ++i) h.record_us(uint64_t(t * 1000 + i % 7));
    });
  for (auto& t : threads) t.join();
  auto s = h.snapshot();
  CHECK(s.count() == 40000);
  auto twice = s;
  twice += s;
  CHECK(twice.count() == 80000);
  CHECK(twice.sum_us == 2 * s.sum_us);
  for (size_t i = 0; i < LatencyHistogram::kBuckets; ++i) CHECK(twice.counts[i] == 2 * s.counts[i]);
}

}  // namespace
}  // namespace peerstore
