// Shared end-to-end steps: see e2e_steps.h.
#include "e2e/e2e_steps.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>

#include "support/child_process.h"
#include "support/file_digest.h"
#include "support/hang_guard.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

// Generous: the suite runs on two loaded cores, and a debug build hashes and seals slowly. The
// guards only turn a hang into a failure; the tests print how long each step really took.
constexpr auto kWriteDeadline = 240s;
constexpr auto kReadDeadline = 240s;

std::string joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines) s += "\n  " + l;
  return s;
}

}  // namespace

uint64_t test_seed(const char* test_name) {
  uint64_t seed;
  const char* env = getenv("PEERSTORE_E2E_SEED");
  if (env && *env) {
    seed = std::strtoull(env, nullptr, 0);
  } else {
    seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  }
  MESSAGE(std::string(test_name) << ": seed " << seed << " (PEERSTORE_E2E_SEED=" << seed
                                 << " repeats it)");
  return seed;
}

void write_through_mount(Cluster& cluster, int node, const std::string& config, Dataset& data) {
  PeerMount& m = cluster.mount(node, config, cluster.new_dir("data"));
  auto started = std::chrono::steady_clock::now();
  {
    HangGuard guard(m.process()->pid(), kWriteDeadline, "writing the dataset to " + m.mountpoint());
    data.write(m.mountpoint());
    int fd = open(m.mountpoint().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    REQUIRE_MESSAGE(fd >= 0, "open " << m.mountpoint() << ": " << m.describe());
    int rc = syncfs(fd);
    close(fd);
    REQUIRE_MESSAGE(rc == 0, "syncfs " << m.mountpoint() << ": " << m.describe());
    REQUIRE_MESSAGE(!guard.fired(), "the writes hung: " << m.describe());
  }
  double wrote = seconds_since(started);
  started = std::chrono::steady_clock::now();
  int status = m.unmount();
  MESSAGE("wrote " << data.summary() << " through a mount joined to node " << node << " in "
                   << wrote << " s; unmount (upload + leave) took " << seconds_since(started)
                   << " s");
  REQUIRE_MESSAGE(status == 0, "unmounting the writer failed: " << m.describe());
  // The writer's node reports how long its writes stayed below their replica count (the loss
  // harness, bench/loss_harness.sh, collects this line).
  std::string log = m.log();
  size_t at = log.find("the longest was below it for ");
  if (at != std::string::npos)
    MESSAGE("e2e: longest below-target window "
            << std::strtoll(log.c_str() + at + std::strlen("the longest was below it for "),
                            nullptr, 10)
            << " ms");
}

PeerMount& check_through_mount(Cluster& cluster, int node, const std::string& config,
                               const Dataset& data) {
  auto started = std::chrono::steady_clock::now();
  PeerMount& m = cluster.mount(node, config, cluster.new_dir("data"));
  double mounted = seconds_since(started);
  std::vector<std::string> problems;
  {
    HangGuard guard(m.process()->pid(), kReadDeadline,
                    "reading the dataset from " + m.mountpoint());
    problems = data.differences(m.mountpoint());
  }
  MESSAGE("e2e: lost files " << problems.size());
  MESSAGE("a fresh mount joined to node "
          << node << " (" << cluster.address(node) << ") mounted in " << mounted << " s and read "
          << data.summary() << " in " << seconds_since(started) - mounted << " s");
  CHECK_MESSAGE(problems.empty(), "reading back through the mount joined to node "
                                      << node << " (" << cluster.address(node) << "): "
                                      << problems.size() << " problems:" << joined(problems) << "\n"
                                      << m.describe() << "\nstatuses:\n"
                                      << cluster.statuses_text());
  return m;
}

void expect_one_line_failure(Cluster& cluster, const std::string& what,
                             const std::vector<std::string>& argv, const std::string& expected,
                             double limit_s) {
  std::string logs = cluster.new_dir("logs-" + what);
  ChildProcess p(argv,
                 SpawnOptions{.stderr_path = logs + "/stderr", .stdout_path = logs + "/stdout"});
  auto started = std::chrono::steady_clock::now();
  auto status = p.wait_exit(std::chrono::milliseconds(static_cast<int>(limit_s * 1000) + 10000));
  double took = seconds_since(started);
  if (!status) p.kill9();
  std::string err = p.output();
  size_t lines = static_cast<size_t>(std::count(err.begin(), err.end(), '\n')) +
                 (!err.empty() && err.back() != '\n');
  MESSAGE(what << ": exit status "
               << (status ? std::to_string(*status) : std::string("none (killed)")) << " after "
               << took << " s; stderr: " << redact_invite_tokens(err));
  CHECK_MESSAGE(status.has_value(), what << " still ran after " << took << " s: " << p.describe());
  CHECK_MESSAGE(status == std::optional<int>(1), what << " should exit 1: " << p.describe());
  CHECK_MESSAGE(took < limit_s, what << " took " << took << " s to give up (limit " << limit_s
                                     << " s): " << p.describe());
  CHECK_MESSAGE(lines == 1, what << " should print exactly one line on stderr, printed " << lines
                                 << ": " << p.describe());
  CHECK_MESSAGE(err.find(expected) != std::string::npos,
                what << "'s error does not say '" << expected << "': " << p.describe());
}

std::vector<int> pick_distinct(uint64_t& rng, int n, int k) {
  std::vector<int> all(n);
  for (int i = 0; i < n; ++i) all[i] = i;
  for (int i = 0; i < k; ++i) std::swap(all[i], all[i + splitmix64(rng) % (n - i)]);
  all.resize(k);
  std::sort(all.begin(), all.end());
  return all;
}

std::string join_ints(const std::vector<int>& v) {
  std::string s;
  for (int x : v) s += (s.empty() ? "" : ", ") + std::to_string(x);
  return s;
}

std::set<std::string> names(const std::string& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec))
    out.insert(e.path().filename().string());
  return out;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

ShareRun share(Cluster& cluster, std::vector<std::string> args) {
  args.insert(args.begin(), cluster.binaries().share);
  SpawnOptions o;
  o.stderr_path = cluster.new_dir("share-log") + "/out";
  ChildProcess p(args, o);
  auto status = p.wait_exit(std::chrono::seconds(30));
  REQUIRE_MESSAGE(status.has_value(), "peerstore-share did not exit: " << p.output());
  return ShareRun{*status, p.output()};
}

std::string user_id(Cluster& cluster, const std::string& config) {
  ShareRun r = share(cluster, {"whoami", "--config", config});
  REQUIRE_MESSAGE(r.status == 0, r.out);
  std::string out = r.out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out.substr(out.rfind('\n') + 1);
}

int add_malicious_node(Cluster& cluster, const std::string& mode) {
  const char* bin = getenv("PEERSTORE_MALICIOUS_NODE");
  REQUIRE_MESSAGE(bin != nullptr, "PEERSTORE_MALICIOUS_NODE is not set (meson sets it)");
  return cluster.add_node(bin, {"--mode", mode}, [&](const std::string& data) {
    std::string key = cluster.data_dir(0) + "/network.key";
    if (access(key.c_str(), F_OK) != 0) return;  // this build's nodes do not keep one yet
    std::string copy = data + "/network.key";
    std::filesystem::copy_file(key, copy);
    chmod(copy.c_str(), 0600);
  });
}

std::string misdeeds(const std::string& log) {
  std::string out;
  size_t pos = 0;
  while ((pos = log.find("malicious node: ", pos)) != std::string::npos) {
    size_t end = log.find('\n', pos);
    out += "  " + log.substr(pos, end - pos) + "\n";
    pos = end;
  }
  return out;
}

}  // namespace peerstore::test
