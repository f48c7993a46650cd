// End-to-end: two computers of one user (one --config, two --data) see the same 200 files
// through a 5-node ring, and the files survive two nodes killed with SIGKILL, after which the
// survivors re-replicate to target. Needs FUSE.
#include <doctest/doctest.h>

#include "e2e/dataset.h"
#include "e2e/e2e_steps.h"
#include "support/file_digest.h"
#include "support/node_cluster.h"

namespace peerstore::test {
using namespace std::chrono_literals;

TEST_CASE("e2e: files written by one computer read back identical on another of the same user") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  uint64_t seed = test_seed("two computers");
  INFO("seed " << seed);
  Cluster cluster(*bin, "two-computers");
  cluster.start(5);
  std::string config = cluster.new_dir("config");

  Dataset data(seed, DatasetShape{});  // 195 small files and 5 of 10 MiB
  write_through_mount(cluster, 0, config, data);
  PeerMount& reader = check_through_mount(cluster, 4, config, data);
  CHECK(reader.unmount() == 0);
}

TEST_CASE("e2e: every file survives two of five nodes killed, and replication returns to target") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  uint64_t seed = test_seed("two nodes killed");
  INFO("seed " << seed);
  Cluster cluster(*bin, "two-killed");
  cluster.start(5);
  std::string config = cluster.new_dir("config");

  Dataset data(seed, DatasetShape{});
  write_through_mount(cluster, 0, config, data);

  uint64_t rng = seed;
  std::vector<int> victims = pick_distinct(rng, cluster.size(), 2);
  for (int v : victims) cluster.kill9(v);
  std::vector<int> survivors = cluster.running_nodes();
  int entry = survivors[splitmix64(rng) % survivors.size()];
  MESSAGE("killed nodes " << join_ints(victims) << " with SIGKILL; reading through node " << entry);
  INFO("killed nodes " << join_ints(victims));

  PeerMount& reader = check_through_mount(cluster, entry, config, data);
  double took = cluster.wait_for_replication(survivors, 60s);
  if (took >= 0)
    MESSAGE("survivors " << join_ints(survivors) << " report below_target == 0 for 6 s, " << took
                         << " s after the read-back");
  CHECK(reader.unmount() == 0);
  // Once repaired, the files must still all be there for yet another computer; if the read
  // right after the kills failed, this also tells a slow recovery from a loss.
  int later = survivors[splitmix64(rng) % survivors.size()];
  MESSAGE("after repair: reading through node " << later);
  PeerMount& second = check_through_mount(cluster, later, config, data);
  CHECK(second.unmount() == 0);
}

}  // namespace peerstore::test
