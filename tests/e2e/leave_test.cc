// End-to-end: a storage node told to stop (SIGTERM) leaves the ring gracefully: it exits 0 after
// handing its keys over, the survivors are at the replication target, and every file reads back.
// Needs FUSE.
#include <doctest/doctest.h>
#include <signal.h>

#include "e2e/dataset.h"
#include "e2e/e2e_steps.h"
#include "support/file_digest.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

// The node gives its handoff 60 s; a little more for start-up of the exit on loaded cores.
constexpr auto kLeaveDeadline = 75s;

}  // namespace

TEST_CASE("e2e: a node stopped with SIGTERM hands its keys over and exits 0") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  uint64_t seed = test_seed("graceful leave");
  INFO("seed " << seed);
  Cluster cluster(*bin, "leave");
  cluster.start(5);
  std::string config = cluster.new_dir("config");
  Dataset data(seed, DatasetShape{.small_files = 80, .big_files = 2, .big_size = 4 << 20});
  write_through_mount(cluster, 0, config, data);

  // `peerstore status --ring`: the whole ring's space, every node asked (issue 16, item 6).
  StatusReply ring;
  bool whole = wait_until(
      [&] {
        ring = cluster.ring_status(0);
        return ring.status &&
               ring.status->json.find("\"ring_nodes\":5,\"ring_silent\":0,") != std::string::npos;
      },
      20s, 500ms);
  CHECK_MESSAGE(whole, (ring.status ? ring.status->json : ring.error));
  if (ring.status) CHECK(ring.status->json.find("\"ring_store_total\":0") == std::string::npos);

  uint64_t rng = seed;
  int leaver = static_cast<int>(splitmix64(rng) % cluster.size());
  MESSAGE("stopping node " << leaver << " (" << cluster.address(leaver) << ") with SIGTERM");
  INFO("the leaving node: " << leaver);
  auto started = std::chrono::steady_clock::now();
  cluster.process(leaver).signal(SIGTERM);
  auto status = cluster.process(leaver).wait_exit(kLeaveDeadline);
  double took = seconds_since(started);
  CHECK_MESSAGE(status.has_value(), "node " << leaver << " still runs " << took
                                            << " s after SIGTERM: " << cluster.node_log(leaver));
  if (status) {
    MESSAGE("node " << leaver << " exited with status " << *status << " " << took
                    << " s after SIGTERM");
    CHECK_MESSAGE(*status == 0, "exit status after SIGTERM: " << cluster.node_log(leaver));
  } else {
    cluster.kill9(leaver);
  }

  std::vector<int> survivors = cluster.running_nodes();
  double repaired = cluster.wait_for_replication(survivors, 60s);
  if (repaired >= 0)
    MESSAGE("survivors " << join_ints(survivors) << " report below_target == 0 for 6 s, "
                         << repaired << " s after the exit");
  int entry = survivors[splitmix64(rng) % survivors.size()];
  PeerMount& reader = check_through_mount(cluster, entry, config, data);
  CHECK(reader.unmount() == 0);
}

}  // namespace peerstore::test
