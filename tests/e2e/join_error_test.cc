// End-to-end: joining an address where nothing listens fails fast and says so: peerstore-node and
// peerstorefs each exit 1 within 10 s with one line on stderr that names the address, and
// peerstorefs leaves no mount (or daemon) behind. Needs FUSE (for the peerstorefs half).
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>

#include "support/child_process.h"
#include "support/free_port.h"
#include "support/mount_fixture.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr double kLimitSeconds = 10;

size_t count_lines(const std::string& text) {
  size_t n = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  return n + (!text.empty() && text.back() != '\n');
}

// Runs argv and expects exit 1 within kLimitSeconds with one stderr line naming `address`.
void expect_join_refused(Cluster& cluster, const std::string& what,
                         const std::vector<std::string>& argv, const std::string& address) {
  std::string logs = cluster.new_dir("logs-" + what);
  ChildProcess p(argv,
                 SpawnOptions{.stderr_path = logs + "/stderr", .stdout_path = logs + "/stdout"});
  auto started = std::chrono::steady_clock::now();
  auto status =
      p.wait_exit(std::chrono::milliseconds(static_cast<int>(kLimitSeconds * 1000) + 10000));
  double took = seconds_since(started);
  if (!status) p.kill9();
  std::string err = p.output();
  MESSAGE(what << " --join " << address << ": exit status "
               << (status ? std::to_string(*status) : std::string("none (killed)")) << " after "
               << took << " s; stderr: " << err);
  CHECK_MESSAGE(status.has_value(), what << " still ran after " << took << " s: " << p.describe());
  CHECK_MESSAGE(status == std::optional<int>(1), what << " should exit 1: " << p.describe());
  CHECK_MESSAGE(took < kLimitSeconds, what << " took " << took << " s to give up (limit "
                                           << kLimitSeconds << " s): " << p.describe());
  CHECK_MESSAGE(count_lines(err) == 1, what << " should print exactly one line on stderr, printed "
                                            << count_lines(err) << ": " << p.describe());
  CHECK_MESSAGE(err.find(address) != std::string::npos,
                what << "'s error does not name " << address << ": " << p.describe());
}

}  // namespace

TEST_CASE("e2e: joining an address where nothing listens fails within 10 s, naming it") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "join-refused");  // for its directories; no ring
  // free_tcp_port() just bound and released it, and hands it out to nobody else.
  std::string nowhere = "127.0.0.1:" + std::to_string(free_tcp_port());

  SUBCASE("peerstore-node") {
    std::string listen = "127.0.0.1:" + std::to_string(free_tcp_port());
    expect_join_refused(
        cluster, "peerstore-node",
        {bin->node, "--listen", listen, "--join", nowhere, "--data", cluster.new_dir("data")},
        nowhere);
  }
  SUBCASE("peerstorefs") {
    std::string mnt = cluster.new_dir("mnt");
    expect_join_refused(cluster, "peerstorefs",
                        {bin->peerstorefs, mnt, "--join", nowhere, "--data",
                         cluster.new_dir("data"), "--config", cluster.new_dir("config")},
                        nowhere);
    CHECK_MESSAGE(!fuse_mounted_at(mnt), "a failed peerstorefs left a mount at " << mnt);
    // Without -f a daemon would have detached from us (no PDEATHSIG): end any that did.
    std::vector<pid_t> strays = pids_with_argument(mnt);
    CHECK_MESSAGE(strays.empty(), "a peerstorefs process on " << mnt << " is still running");
    for (pid_t p : strays) kill(p, SIGKILL);
  }
}

}  // namespace peerstore::test
