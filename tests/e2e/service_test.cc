// End-to-end: peerstore-node as a systemd Type=notify service. Started with NOTIFY_SOCKET (what
// systemd sets), it sends READY=1 once it serves (so `systemctl start` returns only then: a
// status query answers at once), and STOPPING=1 when SIGTERM makes it leave; it exits 0.
#include <doctest/doctest.h>
#include <signal.h>

#include <thread>

#include "support/child_process.h"
#include "support/free_port.h"
#include "support/node_cluster.h"
#include "support/notify_socket.h"

namespace peerstore::test {

using namespace std::chrono_literals;

TEST_CASE("e2e: peerstore-node says READY to systemd once it serves, STOPPING when it leaves") {
  auto bin = ClusterBinaries::from_env(/*needs_fuse=*/false);
  if (!bin) return;
  Cluster cluster(*bin, "notify");
  NotifySocket notify(cluster.new_dir("notify") + "/sock");
  std::string data = cluster.new_dir("data");
  std::string listen = "127.0.0.1:" + std::to_string(free_tcp_port());
  ChildProcess node(
      {bin->node, "--listen", listen, "--data", data},
      SpawnOptions{.stderr_path = cluster.new_dir("log") + "/node.log", .env = {notify.env()}});
  std::string seen;
  REQUIRE_MESSAGE(notify.wait_for("READY=1", 15s, &seen), "no READY=1 in 15 s: " << seen);
  CHECK(seen.find("STATUS=serving on " + listen) != std::string::npos);
  // Ready means serving: its status answers right away.
  StatusReply st = cluster.status_of_data(data);
  CHECK_MESSAGE(st.status.has_value(), st.error);

  REQUIRE(::kill(node.pid(), SIGTERM) == 0);
  CHECK_MESSAGE(notify.wait_for("STOPPING=1", 15s, &seen), "no STOPPING=1 in 15 s: " << seen);
  CHECK(node.wait_exit(30s) == std::optional<int>(0));
}

TEST_CASE("e2e: peerstore-node --capacity caps its store, and status shows the space") {
  auto bin = ClusterBinaries::from_env(/*needs_fuse=*/false);
  if (!bin) return;
  Cluster cluster(*bin, "capacity");
  std::string log_dir = cluster.new_dir("log");
  SUBCASE("a size") {
    std::string data = cluster.new_dir("data");
    std::string listen = "127.0.0.1:" + std::to_string(free_tcp_port());
    ChildProcess node({bin->node, "--listen", listen, "--data", data, "--capacity", "64M"},
                      SpawnOptions{.stderr_path = log_dir + "/node.log"});
    StatusReply st;
    for (int i = 0; i < 100 && !st.status; ++i) {
      st = cluster.status_of_data(data);
      if (!st.status) std::this_thread::sleep_for(100ms);
    }
    REQUIRE_MESSAGE(st.status.has_value(), st.error);
    CHECK(st.status->json.find("\"store_total\":67108864") != std::string::npos);
    CHECK(st.status->json.find("\"store_free\":") != std::string::npos);
  }
  SUBCASE("bad sizes are refused in one line") {
    for (std::string bad : {"0", "lots", "-5M", "12Q"}) {
      ChildProcess node({bin->node, "--listen", "127.0.0.1:0", "--data", cluster.new_dir("data"),
                         "--capacity", bad},
                        SpawnOptions{.stderr_path = log_dir + "/bad-" + bad + ".log"});
      auto status = node.wait_exit(10s);
      INFO("--capacity " << bad << ": " << node.describe());
      CHECK(status == std::optional<int>(2));
      CHECK(node.output().find("--capacity takes a size such as 500G") != std::string::npos);
    }
  }
}

}  // namespace peerstore::test
