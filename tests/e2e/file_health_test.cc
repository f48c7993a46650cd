// End-to-end: a mount's peerstore.* attributes on a ring of real processes: a file written
// through the mount reports its pending bytes until uploaded, then three copies; a node that
// stops answering takes one away, and the count stays there while no node can take its place;
// once it is dead and a new node joins, repair brings the third copy back.
#include <doctest/doctest.h>
#include <sys/xattr.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <thread>

#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

TEST_CASE("e2e: peerstore.replicas counts a file's copies on the ring, through a loss and repair") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "health");
  // Two nodes and the mount's: three members, as many as a block's copies. So when one stops,
  // no fourth member can take its place and the count stays down until a new node joins (with
  // a spare member, repair could restore the third copy before one read of the count finished
  // on a loaded machine: the drop was a race to observe; seen in the flake loop).
  cluster.start(2);
  PeerMount& m = cluster.mount(0, cluster.new_dir("config"), cluster.new_dir("data"));
  std::string file = m.path("file.bin");
  {
    std::ofstream f(file, std::ios::binary);
    f << std::string(1 << 20, 'h');
  }
  auto health = [&](const char* name) -> std::string {
    char buf[32];
    ssize_t n = ::getxattr(file.c_str(), name, buf, sizeof buf);
    return n < 0 ? std::string("error: ") + strerror(errno) : std::string(buf, size_t(n));
  };
  // Uploaded, then at its full count of three on the three members.
  CHECK_MESSAGE(wait_until([&] { return health("peerstore.pending") == "0"; }, 60s),
                "pending: " << health("peerstore.pending"));
  CHECK_MESSAGE(wait_until([&] { return health("peerstore.replicas") == "3"; }, 60s),
                "replicas: " << health("peerstore.replicas") << "\n"
                             << cluster.statuses_text());
  CHECK(health("peerstore.conflicts") == "0");
  // A node stops answering: every block had a copy there, so the count drops to two, and stays
  // there: nobody can hold a third copy.
  REQUIRE(::kill(cluster.process(1).pid(), SIGSTOP) == 0);
  CHECK_MESSAGE(wait_until([&] { return health("peerstore.replicas") == "2"; }, 60s, 100ms),
                "replicas while a node is stopped: " << health("peerstore.replicas"));
  cluster.kill9(1);
  std::this_thread::sleep_for(3s);
  CHECK_MESSAGE(
      health("peerstore.replicas") == "2",
      "replicas with a node dead and none to replace it: " << health("peerstore.replicas"));
  // A new node joins: repair brings the count back.
  cluster.add_member();
  CHECK_MESSAGE(wait_until([&] { return health("peerstore.replicas") == "3"; }, 120s),
                "replicas after repair: " << health("peerstore.replicas") << "\n"
                                          << cluster.statuses_text());
}

}  // namespace
}  // namespace peerstore::test
