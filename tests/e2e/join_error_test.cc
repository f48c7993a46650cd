// End-to-end: joining an address where nothing listens fails fast and says so: peerstore-node and
// peerstorefs each exit 1 within 10 s with one line on stderr that names the address, and
// peerstorefs leaves no mount (or daemon) behind. They join with a valid invite token (a
// one-node ring's secret) naming the dead address, so what fails is the connection. Needs FUSE
// (for the peerstorefs half).
#include <doctest/doctest.h>
#include <signal.h>

#include "e2e/e2e_steps.h"
#include "support/child_process.h"
#include "support/free_port.h"
#include "support/mount_fixture.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {

constexpr double kJoinLimitSeconds = 10;

TEST_CASE("e2e: joining an address where nothing listens fails within 10 s, naming it") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "join-refused");
  cluster.start(1);  // only for a network secret
  // free_tcp_port() just bound and released it, and hands it out to nobody else.
  std::string nowhere = "127.0.0.1:" + std::to_string(free_tcp_port());
  std::string token = cluster.invite_from(cluster.data_dir(0), {"--address", nowhere});

  SUBCASE("peerstore-node") {
    std::string listen = "127.0.0.1:" + std::to_string(free_tcp_port());
    expect_one_line_failure(
        cluster, "peerstore-node",
        {bin->node, "--listen", listen, "--join", token, "--data", cluster.new_dir("data")},
        nowhere, kJoinLimitSeconds);
  }
  SUBCASE("peerstorefs") {
    std::string mnt = cluster.new_dir("mnt");
    expect_one_line_failure(cluster, "peerstorefs",
                            {bin->peerstorefs, mnt, "--join", token, "--data",
                             cluster.new_dir("data"), "--config", cluster.new_dir("config")},
                            nowhere, kJoinLimitSeconds);
    CHECK_MESSAGE(!fuse_mounted_at(mnt), "a failed peerstorefs left a mount at " << mnt);
    // Without -f a daemon would have detached from us (no PDEATHSIG): end any that did.
    std::vector<pid_t> strays = pids_with_argument(mnt);
    CHECK_MESSAGE(strays.empty(), "a peerstorefs process on " << mnt << " is still running");
    for (pid_t p : strays) kill(p, SIGKILL);
  }
}

}  // namespace peerstore::test
