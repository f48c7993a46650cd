// PrometheusText: writes metrics in the Prometheus text exposition format (version 0.0.4), the
// body of GET /metrics: for each family a # HELP and a # TYPE line, then its samples. Escapes
// label values and help text as the format asks. Not thread-safe (one per scrape).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/latency_histogram.h"

namespace peerstore::host {

class PrometheusText {
 public:
  using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

  // Starts a family. `name` is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, the caller's
  // constant); `type`: "counter", "gauge" or "histogram".
  void family(std::string_view name, std::string_view type, std::string_view help);
  // A sample of the current counter or gauge family.
  void sample(double value, const Labels& labels = {});
  // The samples of one histogram of the current histogram family, in seconds: a cumulative
  // NAME_bucket per bound and le="+Inf", NAME_sum and NAME_count.
  void histogram(const LatencyHistogram::Snapshot& h, const Labels& labels = {});
  // The text so far.
  const std::string& text() const { return out_; }

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  void line(std::string_view suffix, const Labels& labels, std::string_view extra_name,
            std::string_view extra_value, std::string_view value);

  std::string out_;
  std::string name_;
};

}  // namespace peerstore::host
