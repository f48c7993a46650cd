#include "host/prometheus_text.h"

#include <cmath>
#include <cstdio>

namespace peerstore::host {
namespace {

// Help text: backslash and newline escaped. Label values: backslash, quote and newline.
std::string escaped(std::string_view s, bool quotes) {
  std::string out;
  for (char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else if (c == '"' && quotes)
      out += "\\\"";
    else
      out += c;
  }
  return out;
}

// Whole numbers as integers (counters and byte counts stay exact up to 2^53), others with
// enough digits to read back the same double.
std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// A bound in seconds: "0.00025", "1", "2.5".
std::string seconds(uint64_t us) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", double(us) / 1e6);
  return buf;
}

}  // namespace

void PrometheusText::family(std::string_view name, std::string_view type, std::string_view help) {
  name_ = name;
  out_ += "# HELP " + name_ + " " + escaped(help, false) + "\n";
  out_ += "# TYPE " + name_ + " " + std::string(type) + "\n";
}

void PrometheusText::line(std::string_view suffix, const Labels& labels,
                          std::string_view extra_name, std::string_view extra_value,
                          std::string_view value) {
  out_ += name_;
  out_ += suffix;
  if (!labels.empty() || !extra_name.empty()) {
    out_ += '{';
    bool first = true;
    auto add = [&](std::string_view k, std::string_view v) {
      if (!first) out_ += ',';
      first = false;
      out_ += k;
      out_ += "=\"" + escaped(v, true) + "\"";
    };
    for (auto& [k, v] : labels) add(k, v);
    if (!extra_name.empty()) add(extra_name, extra_value);
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void PrometheusText::sample(double value, const Labels& labels) {
  line("", labels, "", "", number(value));
}

void PrometheusText::histogram(const LatencyHistogram::Snapshot& h, const Labels& labels) {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBoundsUs.size(); ++i) {
    cumulative += h.counts[i];
    line("_bucket", labels, "le", seconds(LatencyHistogram::kBoundsUs[i]),
         number(double(cumulative)));
  }
  cumulative += h.counts.back();
  line("_bucket", labels, "le", "+Inf", number(double(cumulative)));
  line("_sum", labels, "", "", number(double(h.sum_us) / 1e6));
  line("_count", labels, "", "", number(double(cumulative)));
}

}  // namespace peerstore::host
