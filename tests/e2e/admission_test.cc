// End-to-end admission (DESIGN §6): a device gets into a network only with its secret. An invite
// token from `peerstore invite` admits a new data directory (which keeps the secret), after which
// `--join HOST:PORT` is enough; without a secret `--join HOST:PORT` fails at once with what to
// do; a data directory of another network is refused. Needs FUSE (the mounts).
#include <doctest/doctest.h>

#include <fstream>

#include "e2e/e2e_steps.h"
#include "support/free_port.h"
#include "support/mount_fixture.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

std::string network_key(const std::string& data_dir) {
  return slurp(data_dir + "/network.key");
}

}  // namespace

TEST_CASE("e2e: invite + --join TOKEN admits a device, which later joins with HOST:PORT") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "invite");
  cluster.start(2);  // node 1 joined with node 0's token
  REQUIRE_FALSE(network_key(cluster.data_dir(0)).empty());
  CHECK(network_key(cluster.data_dir(1)) == network_key(cluster.data_dir(0)));

  // A token from node 1's data directory names node 1's running address.
  std::string config = cluster.new_dir("config"), data = cluster.new_dir("data");
  std::string token = cluster.invite_from(cluster.data_dir(1));
  PeerMount& first = cluster.mount_joined(token, config, data);
  std::string text = "admitted by invitation\n";
  REQUIRE(write_text(first.path("admitted.txt"), text));
  cluster.wait_for_ring(30s);  // the mount's node is a member
  REQUIRE(first.unmount() == 0);
  CHECK(network_key(data) == network_key(cluster.data_dir(0)));

  // The same data directory now joins with a bare address and its stored secret.
  PeerMount& again = cluster.mount_joined(cluster.address(0), config, data);
  CHECK(slurp(again.path("admitted.txt")) == text);
  cluster.wait_for_ring(30s);
  CHECK(again.unmount() == 0);
}

TEST_CASE("e2e: --join HOST:PORT with no network secret fails in under 2 s, saying what to do") {
  auto bin = ClusterBinaries::from_env(false);
  if (!bin) return;
  Cluster cluster(*bin, "no-secret");
  cluster.start(1);
  std::string listen = "127.0.0.1:" + std::to_string(free_tcp_port());
  std::string data = cluster.new_dir("empty-data");
  expect_one_line_failure(
      cluster, "peerstore-node",
      {bin->node, "--listen", listen, "--join", cluster.address(0), "--data", data},
      "no network secret in " + data +
          "; get an invite with 'peerstore invite' on a member and pass "
          "--join TOKEN",
      2.0);
}

TEST_CASE("e2e: a data directory of another network does not take an invite") {
  auto bin = ClusterBinaries::from_env(false);
  if (!bin) return;
  Cluster ours(*bin, "ours"), theirs(*bin, "theirs");
  ours.start(1);
  theirs.start(1);
  theirs.kill9(0);  // frees its data directory, which keeps the other network's secret
  std::string listen = "127.0.0.1:" + std::to_string(free_tcp_port());
  expect_one_line_failure(
      ours, "peerstore-node",
      {bin->node, "--listen", listen, "--join", ours.invite(0), "--data", theirs.data_dir(0)},
      "belongs to another PeerStore network", 2.0);
  CHECK(network_key(theirs.data_dir(0)) != network_key(ours.data_dir(0)));
}

// The handshake mixes the network secret in: a node with another secret is refused at once,
// and both sides say so in one line (the joiner: get a token; the member: who was refused).
TEST_CASE("e2e: a node holding a different network secret cannot join") {
  auto bin = ClusterBinaries::from_env(false);
  if (!bin) return;
  Cluster ours(*bin, "ours"), theirs(*bin, "theirs");
  ours.start(1);
  theirs.start(1);
  theirs.kill9(0);
  std::string listen = "127.0.0.1:" + std::to_string(free_tcp_port());
  expect_one_line_failure(
      ours, "peerstore-node",
      {bin->node, "--listen", listen, "--join", ours.address(0), "--data", theirs.data_dir(0)},
      "pass --join TOKEN", 3.0);
  CHECK(wait_until([&] { return ours.node_log(0).find("refused it") != std::string::npos; }, 5s));
  INFO(ours.node_log(0));
  CHECK(ours.node_log(0).find("a device joins this network with a token from 'peerstore invite'") !=
        std::string::npos);
}

}  // namespace peerstore::test
