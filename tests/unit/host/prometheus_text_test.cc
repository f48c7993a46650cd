// PrometheusText: families with HELP and TYPE, escaped label values and help, whole numbers
// exact, and histograms cumulative in seconds up to +Inf; the output passes the format check
// the e2e tests hold /metrics to.
#include "host/prometheus_text.h"

#include <doctest/doctest.h>

#include "support/prometheus_check.h"

namespace peerstore::host {
namespace {

TEST_CASE("prometheus text: counters, gauges and escaping") {
  PrometheusText p;
  p.family("x_total", "counter", "Things, counted\\ on\nlines.");
  p.sample(3, {{"type", "a\"b\\c\nd"}});
  p.sample(9007199254740991.0, {{"type", "big"}});
  p.family("y", "gauge", "A ratio.");
  p.sample(0.25);
  std::string t = p.text();
  CHECK(t.find("# HELP x_total Things, counted\\\\ on\\nlines.\n") != std::string::npos);
  CHECK(t.find("# TYPE x_total counter\n") != std::string::npos);
  CHECK(t.find("x_total{type=\"a\\\"b\\\\c\\nd\"} 3\n") != std::string::npos);
  CHECK(t.find("x_total{type=\"big\"} 9007199254740991\n") != std::string::npos);
  CHECK(t.find("y 0.25\n") != std::string::npos);
  std::string problem;
  auto samples = test::check_prometheus_text(t, &problem);
  REQUIRE_MESSAGE(samples.has_value(), problem);
  CHECK(test::sample_value(*samples, "x_total", {{"type", "a\"b\\c\nd"}}) == 3);
}

TEST_CASE("prometheus text: a histogram is cumulative, in seconds, and ends at +Inf") {
  LatencyHistogram h;
  h.record_us(50);
  h.record_us(2'000);
  h.record_us(2'000);
  h.record_us(60'000'000);
  PrometheusText p;
  p.family("d_seconds", "histogram", "Durations.");
  p.histogram(h.snapshot(), {{"op", "read"}});
  p.histogram(LatencyHistogram().snapshot(), {{"op", "none"}});
  std::string t = p.text();
  CHECK(t.find("d_seconds_bucket{op=\"read\",le=\"0.0001\"} 1\n") != std::string::npos);
  CHECK(t.find("d_seconds_bucket{op=\"read\",le=\"0.0025\"} 3\n") != std::string::npos);
  CHECK(t.find("d_seconds_bucket{op=\"read\",le=\"10\"} 3\n") != std::string::npos);
  CHECK(t.find("d_seconds_bucket{op=\"read\",le=\"+Inf\"} 4\n") != std::string::npos);
  CHECK(t.find("d_seconds_count{op=\"read\"} 4\n") != std::string::npos);
  CHECK(t.find("d_seconds_count{op=\"none\"} 0\n") != std::string::npos);
  std::string problem;
  auto samples = test::check_prometheus_text(t, &problem);
  REQUIRE_MESSAGE(samples.has_value(), problem);
  CHECK(test::sample_value(*samples, "d_seconds_sum", {{"op", "read"}}).value_or(-1) ==
        doctest::Approx(60.00405));
}

TEST_CASE("prometheus text: the check refuses what a scraper would") {
  std::string problem;
  for (std::string bad : {
           std::string("x 1"),                                 // no final newline
           std::string("# TYPE x counter\nx{a=b} 1\n"),        // unquoted value
           std::string("# TYPE x counter\nx{a=\"b} 1\n"),      // unterminated
           std::string("# TYPE x counter\nx one\n"),           // not a number
           std::string("# TYPE x counter\n# TYPE x gauge\n"),  // two types
           std::string("# TYPE x counter\ny 1\n"),             // outside its family
           std::string("# TYPE 1x counter\n"),                 // bad name
           std::string("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                       "h_count 1\n"),  // not cumulative
           std::string("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_count 1\n"),
       }) {
    problem.clear();
    CHECK_MESSAGE(!test::check_prometheus_text(bad, &problem).has_value(), "accepted: " << bad);
    CHECK(!problem.empty());
  }
}

}  // namespace
}  // namespace peerstore::host
