// The dashboard: what /api/status and /metrics say of a node and a mount (and that peer text
// cannot break them), and the server itself on 127.0.0.1: the page, the JSON, the metrics, 404
// for anything else, and one-line errors for an address it cannot take.
#include "host/dashboard.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "support/prometheus_check.h"

namespace peerstore::host {
namespace {

NodeRef node(uint8_t first, std::string addr) {
  NodeRef n;
  n.id.b[0] = first;
  n.addr = std::move(addr);
  return n;
}

DashboardView sample_view(bool with_mount) {
  DashboardView v;
  v.program = with_mount ? "peerstorefs" : "peerstore-node";
  msg::NodeStatus& s = v.node.status;
  s.self = node(0x10, "127.0.0.1:4000");
  s.state = "member";
  s.predecessor = node(0xf0, "127.0.0.1:4002\x01\x1b[31m");  // a peer's control characters
  s.successors = {node(0x40, "127.0.0.1:4001"), node(0xf0, "127.0.0.1:4002")};
  s.blocks = 12;
  s.below_target = 3;
  s.pending_uploads = 4;
  s.store_free = 1000;
  s.store_total = 5000;
  s.reclaimable_bytes = 700;
  s.uptime_ms = 61000;
  v.node.fingers = {node(0x40, "127.0.0.1:4001"), node(0x90, "127.0.0.1:4003")};
  v.node.ring_size = 3.5;
  size_t ping = Body(msg::Ping{}).index();
  v.node.traffic.served[ping] = 7;
  v.node.traffic.called[ping] = 5;
  v.node.traffic.bytes_in = 1234;
  if (with_mount) {
    MountView m;
    m.mountpoint = "/mnt/p";
    m.sync.rounds = 9;
    m.conflicts = 2;
    m.uploads.failures = 1;
    m.uploads.last_error = "no answer from 127.0.0.1:4001";
    FuseMetrics fm;
    fm.record(FuseOp::read, 300);
    fm.record(FuseOp::read, 40);
    fm.add_read(8192);
    m.fuse = fm.snapshot();
    v.mount = std::move(m);
  }
  return v;
}

TEST_CASE("dashboard: /api/status of a mount and of a storage node") {
  auto j = nlohmann::json::parse(dashboard_json(sample_view(true)));
  CHECK(j["program"] == "peerstorefs");
  CHECK(j["node"]["id"] == node(0x10, "").id.hex());
  CHECK(j["node"]["address"] == "127.0.0.1:4000");
  CHECK(j["node"]["state"] == "member");
  CHECK(j["ring"]["size_estimate"] == 3.5);
  CHECK(j["ring"]["predecessor"]["address"] == "127.0.0.1:4002[31m");  // control bytes gone
  CHECK(j["ring"]["successors"].size() == 2);
  CHECK(j["ring"]["fingers"][1]["address"] == "127.0.0.1:4003");
  CHECK(j["replication"]["below_target"] == 3);
  CHECK(j["storage"]["blocks"] == 12);
  CHECK(j["storage"]["reclaimable"] == 700);
  CHECK(j["uploads"]["pending"] == 4);
  CHECK(j["uploads"]["failures"] == 1);
  CHECK(j["mount"]["mountpoint"] == "/mnt/p");
  CHECK(j["mount"]["requests"] == 2);
  CHECK(j["mount"]["bytes_read"] == 8192);
  CHECK(j["sync"]["rounds"] == 9);
  CHECK(j["conflicts"] == 2);
  CHECK(j["shares"].is_array());

  auto n = nlohmann::json::parse(dashboard_json(sample_view(false)));
  CHECK(n["program"] == "peerstore-node");
  CHECK(n["mount"].is_null());
  CHECK(n["sync"].is_null());
  CHECK(n["conflicts"].is_null());
  CHECK(n["uploads"]["pending"] == 4);
}

TEST_CASE("dashboard: /metrics is valid Prometheus text with the node's and the mount's figures") {
  for (bool mount : {false, true}) {
    std::string text = dashboard_metrics(sample_view(mount));
    std::string problem;
    auto samples = test::check_prometheus_text(text, &problem);
    REQUIRE_MESSAGE(samples.has_value(), problem << "\n" << text);
    CHECK(test::sample_value(*samples, "peerstore_keys_below_target") == 3);
    CHECK(test::sample_value(*samples, "peerstore_ring_size_estimate") == 3.5);
    CHECK(test::sample_value(*samples, "peerstore_pending_uploads") == 4);
    CHECK(test::sample_value(*samples, "peerstore_reclaimable_bytes") == 700);
    CHECK(test::sample_value(*samples, "peerstore_dht_requests_total", {{"type", "ping"}}) == 7);
    CHECK(test::sample_value(*samples, "peerstore_dht_calls_total", {{"type", "ping"}}) == 5);
    CHECK(test::sample_value(*samples, "peerstore_dht_received_bytes_total") == 1234);
    CHECK(test::sample_value(*samples, "peerstore_dht_call_duration_seconds_count") == 0);
    auto reads = test::sample_value(*samples, "peerstore_fuse_requests_total", {{"op", "read"}});
    auto conflicts = test::sample_value(*samples, "peerstore_conflicts");
    if (mount) {
      CHECK(reads == 2);
      CHECK(test::sample_value(*samples, "peerstore_fuse_request_duration_seconds_bucket",
                               {{"op", "read"}, {"le", "0.0001"}}) == 1);
      CHECK(test::sample_value(*samples, "peerstore_fuse_read_bytes_total") == 8192);
      CHECK(conflicts == 2);
    } else {
      CHECK(!reads);
      CHECK(!conflicts);
    }
  }
}

TEST_CASE("dashboard: serves the page, the status and the metrics on 127.0.0.1, nothing else") {
  std::atomic<int> looks{0};
  auto d = Dashboard::start("127.0.0.1:0", [&looks] {
    ++looks;
    return sample_view(true);
  });
  REQUIRE_MESSAGE(d.ok(), (d.ok() ? "" : d.error().message()));
  std::string address = (*d)->address();
  REQUIRE(address.starts_with("127.0.0.1:"));
  httplib::Client c("127.0.0.1", std::stoi(address.substr(address.find(':') + 1)));
  c.set_read_timeout(std::chrono::seconds(5));

  auto page = c.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type").starts_with("text/html"));
  CHECK(page->body.find("<svg id=\"ring\"") != std::string::npos);
  // Self-contained: nothing is loaded from anywhere else, and the policy says so.
  CHECK(page->body.find("src=") == std::string::npos);
  CHECK(page->body.find("<link") == std::string::npos);
  CHECK(page->get_header_value("Content-Security-Policy").find("default-src 'none'") !=
        std::string::npos);
  CHECK(looks == 0);  // the page is static; it asks for the status itself

  auto status = c.Get("/api/status");
  REQUIRE(status);
  CHECK(status->status == 200);
  CHECK(status->get_header_value("Content-Type") == "application/json");
  CHECK(nlohmann::json::parse(status->body)["node"]["state"] == "member");

  auto metrics = c.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->get_header_value("Content-Type").starts_with("text/plain; version=0.0.4"));
  std::string problem;
  CHECK_MESSAGE(test::check_prometheus_text(metrics->body, &problem).has_value(), problem);
  CHECK(looks == 2);

  auto missing = c.Get("/api/keys");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  auto post = c.Post("/api/status", "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status >= 400);
  CHECK(looks == 2);
}

TEST_CASE("dashboard: an address that is not HOST:PORT, or taken, is a one-line error") {
  auto observe = [] { return sample_view(false); };
  auto bad = Dashboard::start("8080", observe);
  REQUIRE(!bad.ok());
  CHECK(bad.code() == Errc::invalid);
  CHECK(bad.error().message().find("ADDR:PORT") != std::string::npos);

  auto first = Dashboard::start("127.0.0.1:0", observe);
  REQUIRE(first.ok());
  auto taken = Dashboard::start((*first)->address(), observe);
  REQUIRE(!taken.ok());
  CHECK(taken.code() == Errc::io);
  CHECK(taken.error().message().find((*first)->address()) != std::string::npos);
  CHECK(taken.error().message().find('\n') == std::string::npos);
}

}  // namespace
}  // namespace peerstore::host
