// End-to-end: a 5-node ring plus one malicious node (tests/support/malicious_node.cc), once per
// kind of misbehaviour. Files written through one mount, then rewritten through a second, read
// back identical (SHA-256) through a third, fresh one: no altered block is served, no forged
// or rolled-back head replaces the newest, and the honest nodes' below_target returns to 0.
// Needs FUSE.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "e2e/dataset.h"
#include "e2e/e2e_steps.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr int kHonest = 5;
const DatasetShape kShape{
    .small_files = 40, .small_max = 32 * 1024, .big_files = 1, .big_size = 3 << 20};

// Through a fresh mount: deletes what `before` wrote and writes `after` instead, so the volume
// gets a head newer than the one `before` left, with a different tree.
void rewrite_through_mount(Cluster& cluster, int node, const std::string& config, Dataset& after) {
  PeerMount& m = cluster.mount(node, config, cluster.new_dir("data"));
  for (auto& entry : std::filesystem::directory_iterator(m.mountpoint()))
    std::filesystem::remove_all(entry.path());
  after.write(m.mountpoint());
  int fd = open(m.mountpoint().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  REQUIRE_MESSAGE(fd >= 0, "open " << m.mountpoint() << ": " << m.describe());
  int rc = syncfs(fd);
  close(fd);
  REQUIRE_MESSAGE(rc == 0, "syncfs: " << m.describe());
  REQUIRE_MESSAGE(m.unmount() == 0, "unmounting the rewriter failed: " << m.describe());
}

// Polls the honest nodes until each reports below_target == 0 and that holds for 6 s.
void wait_for_honest_replication(Cluster& cluster, std::chrono::seconds timeout) {
  // A time and a flag, not a std::optional: GCC 12 at -O1 warns falsely that the optional's
  // value may be used uninitialized.
  std::chrono::steady_clock::time_point good_since{};
  bool good_before = false;
  std::string problem;
  bool ok = wait_until(
      [&] {
        bool good = true;
        for (int i = 0; good && i < kHonest; ++i) {
          StatusReply r = cluster.status(i);
          if (!r.status || r.status->below_target != 0) {
            problem = "node " + std::to_string(i) + ": " + (r.status ? r.status->json : r.error);
            good = false;
          }
        }
        if (!good) {
          good_before = false;
          return false;
        }
        if (!good_before) good_since = std::chrono::steady_clock::now();
        good_before = true;
        return std::chrono::steady_clock::now() - good_since >= 6s;
      },
      timeout, 1s);
  CHECK_MESSAGE(ok, "honest nodes not back at target: " << problem << "\nstatuses:\n"
                                                        << cluster.statuses_text());
}

void run_with_malicious_node(const std::string& mode) {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  uint64_t seed = test_seed(("malicious " + mode).c_str());
  INFO("mode " << mode << ", seed " << seed);
  auto started = std::chrono::steady_clock::now();
  Cluster cluster(*bin, "evil-" + mode);
  cluster.start(kHonest);
  int evil = add_malicious_node(cluster, mode);
  std::this_thread::sleep_for(3s);  // let it into the honest nodes' lists
  std::string config = cluster.new_dir("config");

  Dataset first(seed, kShape), second(seed ^ 0x9e3779b97f4a7c15ull, kShape);
  write_through_mount(cluster, 0, config, first);
  rewrite_through_mount(cluster, 1, config, second);
  // A fresh computer of the same user sees the newest tree, byte for byte.
  PeerMount& reader = check_through_mount(cluster, 2, config, second);
  CHECK(reader.unmount() == 0);
  wait_for_honest_replication(cluster, 45s);
  // Repair and the liar's pushes had their time: the newest heads are still what a reader gets.
  PeerMount& later = check_through_mount(cluster, 3, config, second);
  CHECK(later.unmount() == 0);
  CHECK_MESSAGE(cluster.running(evil), "the malicious node died: " << cluster.node_log(evil));
  // What it did (it logs the first misdeed of each kind). Lies and silence are certain; blocks
  // and heads reach it only where the ring placed it as their replica.
  std::string log = cluster.node_log(evil, 100000);
  MESSAGE(mode << ": the malicious node logged:\n" << misdeeds(log));
  if (mode == "wrong-successors" || mode == "drop-all")
    CHECK_MESSAGE(!misdeeds(log).empty(), cluster.node_log(evil));
  MESSAGE(mode << ": " << seconds_since(started) << " s");
}

TEST_CASE("e2e: a node that alters the blocks it serves corrupts no file") {
  run_with_malicious_node("alter-blocks");
}

TEST_CASE("e2e: a node that forges heads cannot make a reader see them") {
  run_with_malicious_node("forge-heads");
}

TEST_CASE("e2e: a node that rolls heads back never hides the newest files") {
  run_with_malicious_node("rollback-heads");
}

TEST_CASE("e2e: a node that lies about the ring is routed around") {
  run_with_malicious_node("wrong-successors");
}

TEST_CASE("e2e: a node that answers nothing is routed around") {
  run_with_malicious_node("drop-all");
}

}  // namespace
}  // namespace peerstore::test
