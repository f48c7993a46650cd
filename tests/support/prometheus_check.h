// check_prometheus_text: what the tests hold a /metrics body to: the Prometheus text exposition
// format 0.0.4 (HELP and TYPE lines, metric and label names, quoted and escaped label values,
// numbers), every sample under a family declared once with its TYPE, and every histogram's
// buckets cumulative up to le="+Inf", which equals its _count. Stateless; thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace peerstore::test {

struct PrometheusSample {
  std::string name;                           // as written, e.g. "x_bucket"
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

// The samples, in order; nullopt with *problem (the line and what is wrong) if anything is off.
std::optional<std::vector<PrometheusSample>> check_prometheus_text(const std::string& text,
                                                                   std::string* problem);
// The value of the sample `name` whose labels include all of `labels`; nullopt if none.
std::optional<double> sample_value(const std::vector<PrometheusSample>& samples,
                                   const std::string& name,
                                   const std::map<std::string, std::string>& labels = {});

}  // namespace peerstore::test
