// End-to-end sharing (issue 14): four users on a 3-node ring, each with their own mount.
// `peerstore-share grant PATH USER --write` on the owner's mount makes the folder appear in the
// recipient's mount under shared/OWNER/FOLDER; both change it and see each other's changes; a
// read-only member reads it and follows the changes but gets EROFS on every write, then leaves
// it (a remount does not bring it back); list shows each side; a user without a grant sees
// nothing of it; the recipient's remount still shows it, and a name the recipient gives the
// owner moves it to shared/NAME. Each user's second computer (the same --config) lists the same
// grants and shares. A fourth node forges every grant and head it serves or sees (a malicious
// node in forge-heads mode): no forged share shows anywhere. At the end no name or content
// written appears in any storage node's data directory. Needs FUSE.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <set>
#include <thread>

#include "e2e/e2e_steps.h"
#include "support/child_process.h"
#include "support/node_cluster.h"
#include "support/plaintext_scan.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kSeen = 20s;  // far above the target (5 s): a loaded machine is slow

// What the scan of the storage nodes' data directories looks for.
const std::string kCanaryName = "share-canary-name-5d1f.txt";
const std::string kSharedCanary = "SHARE-CANARY-OWNER-CONTENT-8b3e";
const std::string kMemberCanaryName = "share-canary-member-name-41c7.txt";
const std::string kMemberCanary = "SHARE-CANARY-MEMBER-CONTENT-c09a";
const std::string kPrivateCanary = "SHARE-CANARY-PRIVATE-77aa";

// The list lines of `peerstore-share list MOUNT` that name a folder (sorted, so two computers'
// lists compare).
std::set<std::string> list_lines(Cluster& cluster, const std::string& mount) {
  ShareRun r = share(cluster, {"list", mount});
  CHECK_MESSAGE(r.status == 0, r.out);
  std::set<std::string> lines;
  size_t at = 0;
  while (at < r.out.size()) {
    size_t end = r.out.find('\n', at);
    if (end == std::string::npos) end = r.out.size();
    std::string line = r.out.substr(at, end - at);
    if (line.find("/proj  ") != std::string::npos) lines.insert(line.substr(line.find("/proj")));
    at = end + 1;
  }
  return lines;
}

}  // namespace

TEST_CASE("e2e: a folder granted with --write shows in the recipient's mount, and both change it") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  Cluster cluster(*bin, "sharing");
  cluster.start(3);
  int forger = add_malicious_node(cluster, "forge-heads");
  std::string ca = cluster.new_dir("config"), cb = cluster.new_dir("config"),
              cc = cluster.new_dir("config"), cd = cluster.new_dir("config");
  PeerMount& a = cluster.mount(0, ca, cluster.new_dir("data"));
  PeerMount& b = cluster.mount(1, cb, cluster.new_dir("data"));
  PeerMount& c = cluster.mount(2, cc, cluster.new_dir("data"));  // read-only member
  PeerMount& d = cluster.mount(0, cd, cluster.new_dir("data"));  // given nothing
  std::string b_id = user_id(cluster, cb), c_id = user_id(cluster, cc);

  REQUIRE(::mkdir(a.path("proj").c_str(), 0755) == 0);
  REQUIRE(::mkdir(a.path("proj/sub").c_str(), 0755) == 0);
  REQUIRE(write_text(a.path("proj/a.txt"), "alpha"));
  std::string big(200 * 1024, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = char('a' + (i * 7919) % 26);
  REQUIRE(write_text(a.path("proj/sub/big.txt"), big));
  REQUIRE(write_text(a.path("private.txt"), "only mine " + kPrivateCanary));
  REQUIRE(write_text(a.path("proj/" + kCanaryName), kSharedCanary));

  auto start = std::chrono::steady_clock::now();
  ShareRun g = share(cluster, {"grant", a.path("proj"), b_id, "--write"});
  REQUIRE_MESSAGE(g.status == 0, g.out << a.describe());

  // On b: shared/OWNER/proj, with a's content.
  std::string owner;
  bool shown = wait_until(
      [&] {
        auto owners = names(b.path("shared"));
        if (owners.size() != 1) return false;
        owner = *owners.begin();
        return slurp(b.path("shared/" + owner + "/proj/a.txt")) == "alpha";
      },
      kSeen);
  REQUIRE_MESSAGE(shown, "b never showed the share\n" << a.describe() << b.describe());
  MESSAGE("grant to readable on the recipient's mount: " << seconds_since(start) << " s");
  std::string on_b = b.path("shared/" + owner + "/proj");
  CHECK(owner.rfind("psu1", 0) == 0);
  CHECK(slurp(on_b + "/sub/big.txt") == big);
  CHECK(names(on_b) == std::set<std::string>{"a.txt", "sub", kCanaryName});
  CHECK_FALSE(exists(b.path("private.txt")));

  // b writes; a sees it. a writes; b sees it.
  REQUIRE(write_text(on_b + "/from-b.txt", "b wrote this"));
  REQUIRE(write_text(on_b + "/" + kMemberCanaryName, kMemberCanary));
  CHECK_MESSAGE(wait_until([&] { return slurp(a.path("proj/from-b.txt")) == "b wrote this"; },
                           kSeen),
                "a never saw b's file\n"
                    << a.describe() << b.describe());
  REQUIRE(write_text(a.path("proj/sub/from-a.txt"), "a wrote this"));
  CHECK_MESSAGE(wait_until([&] { return slurp(on_b + "/sub/from-a.txt") == "a wrote this"; },
                           kSeen),
                "b never saw a's file\n"
                    << a.describe() << b.describe());

  // Both change one file at once: both versions stay on both sides (or, if one saw the
  // other's first, the later alone); a conflict copy goes into a mount's conflict log, under
  // the shared folder's name.
  std::thread wa([&] { REQUIRE(write_text(a.path("proj/both.txt"), "from a")); });
  std::thread wb([&] { REQUIRE(write_text(on_b + "/both.txt", "from b")); });
  wa.join();
  wb.join();
  auto versions = [&](const std::string& dir) {
    std::set<std::string> v;
    for (auto& n : names(dir))
      if (n == "both.txt" || n.rfind("both.conflict-", 0) == 0) v.insert(slurp(dir + "/" + n));
    return v;
  };
  std::set<std::string> two{"from a", "from b"};
  CHECK_MESSAGE(wait_until(
                    [&] {
                      auto va = versions(a.path("proj"));
                      return va == versions(on_b) && (va == two || va.size() == 1);
                    },
                    kSeen),
                a.describe() << b.describe());
  MESSAGE("one file written on both sides at once: " << versions(a.path("proj")).size()
                                                     << " versions kept");
  if (versions(a.path("proj")) == two) {
    std::string logs = slurp(a.data_dir() + "/conflicts") + slurp(b.data_dir() + "/conflicts");
    CHECK_MESSAGE(logs.find("[shared proj]/both.conflict-") != std::string::npos, logs);
  }

  // c may read it: it sees both writes and follows the next, but changes nothing.
  ShareRun ro = share(cluster, {"grant", a.path("proj"), c_id});
  REQUIRE_MESSAGE(ro.status == 0, ro.out << a.describe());
  std::string on_c = c.path("shared/" + owner + "/proj");
  CHECK_MESSAGE(
      wait_until([&] { return slurp(on_c + "/sub/from-a.txt") == "a wrote this"; }, kSeen),
      "c never showed the share\n"
          << a.describe() << c.describe());
  CHECK(slurp(on_c + "/from-b.txt") == "b wrote this");
  errno = 0;
  CHECK(::open((on_c + "/new.txt").c_str(), O_CREAT | O_WRONLY, 0644) < 0);
  CHECK(errno == EROFS);
  errno = 0;
  CHECK(::open((on_c + "/a.txt").c_str(), O_WRONLY) < 0);
  CHECK(errno == EROFS);
  CHECK(::unlink((on_c + "/a.txt").c_str()) != 0);
  CHECK(errno == EROFS);
  CHECK(::mkdir((on_c + "/d").c_str(), 0755) != 0);
  CHECK(errno == EROFS);
  REQUIRE(write_text(a.path("proj/later.txt"), "after c joined"));
  CHECK(wait_until([&] { return slurp(on_c + "/later.txt") == "after c joined"; }, kSeen));
  CHECK(slurp(on_c + "/a.txt") == "alpha");

  // list, on each side.
  ShareRun on_a = share(cluster, {"list", a.mountpoint()});
  CHECK_MESSAGE(
      on_a.out.find("/proj  with " + b_id.substr(0, 12) + "  read and write") != std::string::npos,
      on_a.out);
  CHECK_MESSAGE(
      on_a.out.find("/proj  with " + c_id.substr(0, 12) + "  read only") != std::string::npos,
      on_a.out);
  ShareRun on_b_list = share(cluster, {"list", b.mountpoint()});
  CHECK_MESSAGE(on_b_list.out.find("/shared/" + owner + "/proj  from " + owner +
                                   "  read and write") != std::string::npos,
                on_b_list.out);
  ShareRun on_c_list = share(cluster, {"list", c.mountpoint()});
  CHECK_MESSAGE(on_c_list.out.find("/shared/" + owner + "/proj  from " + owner + "  read only") !=
                    std::string::npos,
                on_c_list.out);

  // Each user's second computer (same --config, its own data) lists the same, and shows the
  // share with its content.
  PeerMount& b2 = cluster.mount(2, cb, cluster.new_dir("data"));
  CHECK_MESSAGE(
      wait_until(
          [&] { return slurp(b2.path("shared/" + owner + "/proj/from-b.txt")) == "b wrote this"; },
          kSeen),
      b2.describe());
  CHECK(list_lines(cluster, b2.mountpoint()) == list_lines(cluster, b.mountpoint()));
  PeerMount& a2 = cluster.mount(1, ca, cluster.new_dir("data"));
  CHECK_MESSAGE(wait_until([&] { return exists(a2.path("proj/later.txt")); }, kSeen),
                a2.describe());
  auto grants = list_lines(cluster, a.mountpoint());
  CHECK(grants.size() == 2);
  CHECK(list_lines(cluster, a2.mountpoint()) == grants);
  CHECK(a2.unmount() == 0);
  CHECK(b2.unmount() == 0);

  // c leaves: the share goes, a remount does not bring it back, and a's folder is untouched.
  ShareRun not_shared = share(cluster, {"leave", a.path("proj")});
  CHECK(not_shared.status != 0);
  CHECK_MESSAGE(not_shared.out.find("not a folder shared with you") != std::string::npos,
                not_shared.out);
  ShareRun left = share(cluster, {"leave", on_c});
  CHECK_MESSAGE(left.status == 0, left.out << c.describe());
  CHECK_FALSE(exists(on_c));
  REQUIRE(c.unmount() == 0);
  c.mount();
  std::this_thread::sleep_for(6s);  // the receiver's first read and one poll
  CHECK_MESSAGE(!exists(on_c), c.describe());
  CHECK(slurp(a.path("proj/a.txt")) == "alpha");

  // d was given nothing: no shared folder at all.
  CHECK_FALSE(exists(d.path("shared")));
  CHECK(names(d.mountpoint()).empty());

  // b's remount still shows the share, with both writes.
  REQUIRE(b.unmount() == 0);
  b.mount();
  CHECK(wait_until([&] { return slurp(on_b + "/from-b.txt") == "b wrote this"; }, kSeen));
  CHECK(slurp(on_b + "/sub/from-a.txt") == "a wrote this");
  CHECK(names(b.path("shared/" + owner)) == std::set<std::string>{"proj"});

  // b names a: the share moves to shared/alice, on b's mount, with nothing lost.
  std::string a_id = user_id(cluster, ca);
  for (const char* bad : {"psu1alice", "a/b", ".."}) {
    ShareRun r = share(cluster, {"name", a_id, bad, "--mount", b.mountpoint()});
    CHECK(r.status != 0);
    CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 1);
  }
  ShareRun named = share(cluster, {"name", a_id, "alice", "--mount", b.mountpoint()});
  REQUIRE_MESSAGE(named.status == 0, named.out);
  CHECK_MESSAGE(wait_until(
                    [&] {
                      return slurp(b.path("shared/alice/proj/from-b.txt")) == "b wrote this" &&
                             !exists(b.path("shared/" + owner));
                    },
                    kSeen),
                b.describe());
  CHECK(slurp(b.path("shared/alice/proj/sub/from-a.txt")) == "a wrote this");

  // The forger is still up, and what it did shows in its log; nobody took a forged share (b
  // and c saw one owner, d none, above).
  CHECK_MESSAGE(cluster.running(forger), cluster.node_log(forger));
  MESSAGE("the forging node logged:\n" << misdeeds(cluster.node_log(forger, 100000)));

  // No plaintext on any storage node: names and contents of the owner's, the member's and the
  // owner's private files.
  std::vector<std::string> dirs;
  for (int i = 0; i < cluster.size(); ++i) dirs.push_back(cluster.data_dir(i));
  PlaintextScan scan =
      scan_for_plaintext(dirs, {{"a shared file's name", kCanaryName},
                                {"a shared file's content", kSharedCanary},
                                {"a member's file name", kMemberCanaryName},
                                {"a member's content", kMemberCanary},
                                {"a private file's content", kPrivateCanary},
                                {"a piece of a shared chunked file", big.substr(70000, 40)}});
  MESSAGE("scanned " << scan.files << " files, " << scan.bytes << " bytes on " << dirs.size()
                     << " storage nodes");
  CHECK_MESSAGE(scan.errors.empty(), (scan.errors.empty() ? "" : scan.errors.front()));
  CHECK(scan.bytes > big.size());
  CHECK_MESSAGE(scan.found.empty(), describe_findings(scan));
}

}  // namespace peerstore::test
