// End-to-end revoke (issue 14, item 6): three users on a 3-node ring. The owner shares a folder
// read-write with two others, then revokes one. The member who stays goes on sharing the folder
// with the owner in both directions (under the new keys); the revoked user's mount drops the
// share, sees nothing made after the revoke, and a remount does not bring it back. Needs FUSE.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>

#include "e2e/e2e_steps.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kSeen = 20s;  // far above the target (5 s): a loaded machine is slow

}  // namespace

TEST_CASE("e2e: a revoked member loses the folder; the one who stays keeps sharing it") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "revoke");
  cluster.start(3);
  std::string ca = cluster.new_dir("config"), cb = cluster.new_dir("config"),
              cc = cluster.new_dir("config");
  PeerMount& a = cluster.mount(0, ca, cluster.new_dir("data"));
  PeerMount& b = cluster.mount(1, cb, cluster.new_dir("data"));  // stays
  PeerMount& c = cluster.mount(2, cc, cluster.new_dir("data"));  // revoked
  std::string b_id = user_id(cluster, cb), c_id = user_id(cluster, cc);

  REQUIRE(::mkdir(a.path("proj").c_str(), 0755) == 0);
  REQUIRE(write_text(a.path("proj/a.txt"), "alpha"));
  for (const std::string& id : {b_id, c_id}) {
    ShareRun g = share(cluster, {"grant", a.path("proj"), id, "--write"});
    REQUIRE_MESSAGE(g.status == 0, g.out << a.describe());
  }
  std::string owner;
  auto shown = [&](PeerMount& m) {
    auto owners = names(m.path("shared"));
    if (owners.size() != 1) return false;
    owner = *owners.begin();
    return slurp(m.path("shared/" + owner + "/proj/a.txt")) == "alpha";
  };
  REQUIRE_MESSAGE(wait_until([&] { return shown(b); }, kSeen), b.describe());
  REQUIRE_MESSAGE(wait_until([&] { return shown(c); }, kSeen), c.describe());
  std::string on_b = b.path("shared/" + owner + "/proj");
  std::string on_c = c.path("shared/" + owner + "/proj");
  REQUIRE(write_text(on_c + "/from-c.txt", "c wrote this before"));
  REQUIRE_MESSAGE(
      wait_until([&] { return slurp(a.path("proj/from-c.txt")) == "c wrote this before"; }, kSeen),
      a.describe() << c.describe());

  auto start = std::chrono::steady_clock::now();
  ShareRun r = share(cluster, {"revoke", a.path("proj"), c_id});
  REQUIRE_MESSAGE(r.status == 0, r.out << a.describe());
  CHECK_MESSAGE(r.out.find("/proj/from-c.txt  19 bytes") != std::string::npos, r.out);
  CHECK_MESSAGE(r.out.find("cannot be taken back") != std::string::npos, r.out);

  // c: the share goes from its mount, and nothing made after the revoke reaches it.
  CHECK_MESSAGE(wait_until([&] { return !exists(on_c); }, kSeen), c.describe());
  MESSAGE("revoke to gone from the revoked mount: " << seconds_since(start) << " s");
  REQUIRE(write_text(a.path("proj/after.txt"), "made after the revoke"));
  // b: the folder goes on, under the new keys, both ways.
  CHECK_MESSAGE(
      wait_until([&] { return slurp(on_b + "/after.txt") == "made after the revoke"; }, kSeen),
      a.describe() << b.describe());
  CHECK(slurp(on_b + "/from-c.txt") == "c wrote this before");
  REQUIRE(write_text(on_b + "/from-b.txt", "b after the revoke"));
  CHECK_MESSAGE(
      wait_until([&] { return slurp(a.path("proj/from-b.txt")) == "b after the revoke"; }, kSeen),
      a.describe() << b.describe());
  ShareRun listed = share(cluster, {"list", b.mountpoint()});
  CHECK_MESSAGE(listed.out.find("/shared/" + owner + "/proj  from " + owner + "  read and write") !=
                    std::string::npos,
                listed.out);

  // c's remount does not bring it back.
  REQUIRE(c.unmount() == 0);
  c.mount();
  std::this_thread::sleep_for(6s);  // the receiver's first read and one poll
  CHECK_MESSAGE(!exists(on_c), c.describe());
  CHECK(names(c.path("shared")).empty());
}

}  // namespace peerstore::test
