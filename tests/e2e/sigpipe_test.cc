// End-to-end: a peerstore-node whose stderr is a pipe that lost its reader (a log collector that
// died, a closed terminal pipeline) keeps serving and, on SIGTERM, logs, leaves the ring and
// exits 0; before SIGPIPE was ignored its first log line after the reader went killed it
// (exit status 141). Needs no FUSE.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>

#include "e2e/raw_connection.h"
#include "support/child_process.h"
#include "support/free_port.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("e2e: a node whose stderr reader is gone keeps serving and leaves cleanly") {
  auto bin = ClusterBinaries::from_env(/*needs_fuse=*/false);
  if (!bin) return;
  Cluster cluster(*bin, "stderr-pipe");
  std::string dir = cluster.new_dir("node"), data = dir + "/data", fifo = dir + "/stderr";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(reader >= 0);
  std::string address = "127.0.0.1:" + std::to_string(free_tcp_port());
  ChildProcess node({bin->node, "--listen", address, "--data", data},
                    SpawnOptions{.stderr_path = fifo});
  REQUIRE_MESSAGE(wait_until([&] { return !slurp(data + "/node.addr").empty(); }, 30s),
                  "the node did not start");
  char buf[4096];
  while (::read(reader, buf, sizeof buf) > 0) {
  }
  ::close(reader);  // from now on every write to its stderr fails

  // Bad input makes the node's transport drop connections (and may log); it keeps serving.
  for (int i = 0; i < 5; ++i) {
    RawConnection c(address, 5s);
    REQUIRE(c.connected());
    c.send(std::string(64, '\xff'), 1s);
    CHECK(c.closed_by_peer(5s));
  }
  REQUIRE_MESSAGE(node.running(), "the node died: exit " << node.exit_status().value_or(-1));
  StatusReply st = cluster.status_of_data(data);
  CHECK_MESSAGE(st.status.has_value(), "no status: " << st.error);

  // SIGTERM: it logs that it leaves (to the dead pipe), leaves and exits 0, not 141 (SIGPIPE).
  node.signal(SIGTERM);
  auto status = node.wait_exit(30s);
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}

}  // namespace
}  // namespace peerstore::test
