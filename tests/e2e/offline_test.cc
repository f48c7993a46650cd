// End-to-end: a mount whose whole network dies (both other nodes of its ring killed with SIGKILL)
// keeps serving everything it committed from its local store, keeps taking writes, and its own
// node still answers `peerstore status --data`. Needs FUSE.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "e2e/dataset.h"
#include "e2e/e2e_steps.h"
#include "support/file_digest.h"
#include "support/hang_guard.h"
#include "support/node_cluster.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kStepDeadline = 120s;

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += "\n  " + l;
  return s;
}

// The mount's log lines that mention the network being unreachable, in any wording we know of.
std::vector<std::string> unreachable_lines(const std::string& log) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < log.size()) {
    size_t end = log.find('\n', start);
    if (end == std::string::npos) end = log.size();
    std::string line = log.substr(start, end - start), low = line;
    std::transform(low.begin(), low.end(), low.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    // Paths in a line (the test's directories) must not count: only the words after them.
    for (const char* word : {"unreachable", "no peer", "cannot reach", "not reach", "not answer"})
      if (low.find(word) != std::string::npos) {
        out.push_back(line);
        break;
      }
    start = end + 1;
  }
  return out;
}

// Reads the dataset back through `m` with the page cache dropped, and the mount's own status.
void check_local_service(Cluster& cluster, PeerMount& m, const Dataset& data,
                         const std::string& when) {
  std::vector<std::string> problems;
  auto started = std::chrono::steady_clock::now();
  {
    HangGuard guard(m.process()->pid(), kStepDeadline, "reading back " + when);
    problems = data.differences(m.mountpoint(), /*drop_cache=*/true);
  }
  MESSAGE("read " << data.summary() << " back " << when << " in " << seconds_since(started)
                  << " s");
  CHECK_MESSAGE(problems.empty(), "reading back " << when << ": " << problems.size()
                                                  << " problems:" << joined(problems) << "\n"
                                                  << m.describe());
  StatusReply st = cluster.status_of_data(m.data_dir());
  CHECK_MESSAGE(st.status.has_value(),
                "peerstore status --data " << m.data_dir() << " " << when << ": " << st.error);
  if (!st.status) return;
  MESSAGE("the mount's node " << when << ": " << st.status->json);
  // Not required, but worth seeing: whether the node has noticed that its peers are gone.
  std::vector<std::string> dead;
  for (int i = 0; i < cluster.size(); ++i)
    if (!cluster.running(i) && st.status->json.find(cluster.address(i)) != std::string::npos)
      dead.push_back(cluster.address(i));
  if (!dead.empty())
    MESSAGE("note: " << when << " the mount's node still names " << dead.size()
                     << " dead node(s) as neighbours");
}

}  // namespace

TEST_CASE("e2e: a mount that lost its whole network serves everything it committed") {
  auto bin = ClusterBinaries::from_env();
  if (!bin) return;
  uint64_t seed = test_seed("lost network");
  INFO("seed " << seed);
  Cluster cluster(*bin, "lost-peers");
  cluster.start(2);
  Dataset data(seed, DatasetShape{.small_files = 40, .big_files = 1, .big_size = 3 << 20});
  PeerMount& m = cluster.mount(0, cluster.new_dir("config"), cluster.new_dir("data"));
  {
    HangGuard guard(m.process()->pid(), kStepDeadline, "writing the dataset");
    data.write(m.mountpoint());
    int fd = open(m.mountpoint().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    CHECK_MESSAGE(syncfs(fd) == 0, "syncfs: " << m.describe());
    close(fd);
  }
  cluster.wait_for_ring(30s);  // the mount's node is a member, so the network had it all

  cluster.kill9(0);
  cluster.kill9(1);
  MESSAGE("killed both nodes of the ring with SIGKILL");
  check_local_service(cluster, m, data, "right after the network died");

  // Past crash detection (~2-3 s) and a repair round: the node now knows it is alone.
  std::this_thread::sleep_for(8s);
  check_local_service(cluster, m, data, "8 s later");

  // Offline work goes on: a new file commits locally (fsync waits for this disk only).
  std::string path = m.path("written-offline.txt"), text = random_content(5000, seed + 1);
  {
    HangGuard guard(m.process()->pid(), kStepDeadline, "writing a file offline");
    int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
    REQUIRE_MESSAGE(fd >= 0, "create " << path << " offline: " << m.describe());
    CHECK(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    CHECK_MESSAGE(fsync(fd) == 0, "fsync offline: " << m.describe());
    CHECK(close(fd) == 0);
    drop_page_cache(path);
    std::string error;
    auto digest = sha256_file(path, &error);
    CHECK_MESSAGE(digest == std::optional<std::string>(sha256_hex(text)),
                  "a file written offline does not read back: " << error << "\n"
                                                                << m.describe());
  }
  CHECK_MESSAGE(m.running(), "the mount died offline: " << m.describe());

  auto said = unreachable_lines(m.log());
  if (said.empty()) {
    MESSAGE("note: the mount's log says nothing about the network being unreachable:\n"
            << m.describe(20));
  } else {
    MESSAGE("the mount's log says (" << said.size() << " lines), first: " << said.front());
  }
  // The test ends with the mount still up: the cluster kills it. A clean unmount would spend its
  // upload and leave timeouts on peers that are gone.
}

}  // namespace peerstore::test
