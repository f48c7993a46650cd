// Cluster: see node_cluster.h.
#include "support/node_cluster.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "support/free_port.h"
#include "support/fuse_check.h"
#include "support/mount_fixture.h"
#include "support/secret_scan.h"
#include "support/wait_until.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kStatusTimeout = 15s;  // the tool has its own timeouts; this is the backstop
constexpr auto kNodeStartTimeout = 30s;
constexpr int kStartAttempts = 5;  // a port can be taken between our probe and the node's bind

std::string canonical(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : path;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::optional<ClusterBinaries> ClusterBinaries::from_env(bool needs_fuse) {
  const std::string hint = "meson sets it for the e2e suite";
  std::string reason = binary_unusable_reason("PEERSTOREFS", hint);
  if (reason.empty()) reason = binary_unusable_reason("PEERSTORE_NODE", hint);
  if (reason.empty()) reason = binary_unusable_reason("PEERSTORE_CLI", hint);
  if (reason.empty()) reason = binary_unusable_reason("PEERSTORE_SHARE", hint);
  if (reason.empty() && needs_fuse) reason = fuse_unusable_reason();
  if (!usable_or_report(reason)) return std::nullopt;
  return ClusterBinaries{getenv("PEERSTOREFS"), getenv("PEERSTORE_NODE"), getenv("PEERSTORE_CLI"),
                         getenv("PEERSTORE_SHARE")};
}

Cluster::Cluster(ClusterBinaries binaries, std::string_view name) : bin_(std::move(binaries)) {
  const char* keep = getenv("PEERSTORE_TEST_KEEP");
  keep_ = keep && *keep && std::string(keep) != "0";
  // test.sh gives each run its own directory; its cleanup finds our processes by it.
  const char* root = getenv("PEERSTORE_TEST_TMPDIR");
  std::string tmpl = std::string(root && *root ? root : "/tmp") + "/peerstore-e2e-" +
                     std::string(name) + "-XXXXXX";
  REQUIRE_MESSAGE(mkdtemp(tmpl.data()) != nullptr, "mkdtemp " << tmpl << ": " << strerror(errno));
  base_ = canonical(tmpl);
  chmod(base_.c_str(), 0755);
  MESSAGE("cluster directory: " << base_);
}

Cluster::~Cluster() {
  try {
    // Mounts first (newest first): their processes are ring members that talk to the nodes.
    while (!mounts_.empty()) mounts_.pop_back();
    for (auto& n : nodes_)
      if (n.process && n.process->running()) n.process->kill9();
    for (int round = 0; round < 4; ++round) {
      auto left = fuse_mounts_under(base_);
      if (left.empty()) break;
      for (auto it = left.rbegin(); it != left.rend(); ++it)
        run_fusermount({"-uz"}, *it, base_ + "/fusermount-cleanup.log");
    }
    bool ran_nodes = !nodes_.empty();
    nodes_.clear();
    // No key may reach a log or an output of anything this cluster ran (DESIGN §6). Every node
    // leaves a device key and a network secret: none found means the scan cannot see them.
    auto scan = scan_for_secrets(base_, {"invite.out"});
    if (ran_nodes)
      CHECK_MESSAGE(scan.keys >= 2, "the secret scan recognised no key file in " << base_);
    std::string leaks;
    for (const auto& l : scan.leaks) leaks += "\n  " + l;
    CHECK_MESSAGE(scan.leaks.empty(), "key material in the test's files:" << leaks);
    if (keep_) {
      MESSAGE("PEERSTORE_TEST_KEEP: left " << base_);
    } else {
      remove_tree(base_);
    }
  } catch (...) {
    // A destructor must not throw; cleanup is best effort.
  }
}

std::string Cluster::new_dir(std::string_view stem) {
  std::string dir = base_ + "/" + std::string(stem) + "-" + std::to_string(++dirs_made_);
  REQUIRE_MESSAGE(mkdir(dir.c_str(), 0755) == 0, "mkdir " << dir << ": " << strerror(errno));
  return dir;
}

void Cluster::start(int n, std::chrono::milliseconds timeout) {
  auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i) start_node(i, i == 0 ? std::string() : invite(0));
  wait_for_ring(timeout);
  MESSAGE(n << " nodes form a consistent ring after " << seconds_since(started) << " s");
}

int Cluster::add_member() {
  REQUIRE(size() > 0);
  start_node(size(), invite(0));
  return size() - 1;
}

int Cluster::add_node(const std::string& binary, const std::vector<std::string>& extra_args,
                      const std::function<void(const std::string&)>& prepare) {
  REQUIRE(size() > 0);
  start_node(size(), address(0), binary, extra_args, prepare);
  return size() - 1;
}

void Cluster::start_node(int i, const std::string& join, const std::string& binary,
                         const std::vector<std::string>& extra_args,
                         const std::function<void(const std::string&)>& prepare) {
  REQUIRE(i == size());
  nodes_.emplace_back();
  nodes_.back().data = new_dir("node" + std::to_string(i));
  if (prepare) prepare(nodes_.back().data);
  for (int attempt = 1;; ++attempt) {
    Node& node = nodes_.back();
    node.address = "127.0.0.1:" + std::to_string(free_tcp_port());
    node.log = node.data + (attempt == 1 ? "" : "-attempt" + std::to_string(attempt)) + ".log";
    std::vector<std::string> argv{binary.empty() ? bin_.node : binary, "--listen", node.address,
                                  "--data", node.data};
    if (!join.empty()) argv.insert(argv.end(), {"--join", join});
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    try {
      node.process.emplace(argv, SpawnOptions{.stderr_path = node.log});
    } catch (const std::exception& e) {
      FAIL("cannot start peerstore-node: " << std::string(e.what()));
    }
    // Up once it answers status as a member; out if it exits. Status is asked only once the
    // node has written DATA/node.addr (it listens by then): asking earlier costs the tool's
    // whole connect timeout.
    StatusReply last;
    bool up = wait_until(
        [&] {
          if (!node.process->running()) return true;
          if (slurp(node.data + "/node.addr").empty()) return false;
          last = status(i);
          return last.status && last.status->state == "member";
        },
        kNodeStartTimeout, 100ms);
    if (node.process->running() && up) return;
    if (!node.process->running() && attempt < kStartAttempts &&
        says_address_in_use(node.process->output())) {
      MESSAGE("node " << i << ": " << node.address << " was taken; trying another port");
      continue;
    }
    FAIL("node " << i << " (" << node.address << ") did not become a member within "
                 << std::chrono::duration_cast<std::chrono::seconds>(kNodeStartTimeout).count()
                 << " s; last status: " << (last.status ? last.status->json : last.error) << "\n"
                 << node.process->describe());
  }
}

bool Cluster::running(int i) {
  auto& p = nodes_.at(i).process;
  return p && p->running();
}

std::vector<int> Cluster::running_nodes() {
  std::vector<int> out;
  for (int i = 0; i < size(); ++i)
    if (running(i)) out.push_back(i);
  return out;
}

void Cluster::kill9(int i) {
  REQUIRE_MESSAGE(running(i), "node " << i << " is not running: " << node_log(i));
  process(i).kill9();
}

std::string Cluster::node_log(int i, size_t last_lines) {
  const Node& n = nodes_.at(i);
  std::string s = "node " + std::to_string(i) + " (" + n.address + ", data " + n.data;
  if (n.process) {
    s += ", pid " + std::to_string(n.process->pid());
    auto st = n.process->exit_status();
    s += st ? ", exit status " + std::to_string(*st) : std::string(", running");
  }
  return s + ") said, last lines:\n" + tail_lines(slurp(n.log), last_lines);
}

std::string Cluster::invite(int node) {
  return invite_from(data_dir(node), {"--address", address(node)});
}

std::string Cluster::invite_from(const std::string& data_dir, std::vector<std::string> extra) {
  std::vector<std::string> argv{bin_.cli, "invite", "--data", data_dir};
  argv.insert(argv.end(), extra.begin(), extra.end());
  std::string token;
  try {
    ChildProcess p(argv, SpawnOptions{.stderr_path = base_ + "/invite.err",
                                      .stdout_path = base_ + "/invite.out"});
    auto rc = p.wait_exit(kStatusTimeout);
    if (!rc) p.kill9();
    token = trim(p.stdout_text());
    REQUIRE_MESSAGE((rc == std::optional<int>(0) && !token.empty()),
                    "peerstore invite --data " << data_dir << " failed: " << p.describe());
  } catch (const std::exception& e) {
    FAIL("cannot run peerstore invite: " << std::string(e.what()));
  }
  return token;
}

StatusReply Cluster::status_with(std::vector<std::string> where) {
  std::vector<std::string> argv{bin_.cli, "status"};
  argv.insert(argv.end(), where.begin(), where.end());
  argv.push_back("--json");
  StatusReply reply;
  std::string what = "peerstore status " + where[0] + " " + where[1];
  try {
    ChildProcess p(argv, SpawnOptions{.stderr_path = base_ + "/status.err",
                                      .stdout_path = base_ + "/status.out"});
    auto rc = p.wait_exit(kStatusTimeout);
    if (!rc) {
      p.kill9();
      reply.error = what + ": no answer within 15 s";
      return reply;
    }
    std::string out = trim(p.stdout_text());
    if (*rc != 0) {
      reply.error = what + ": exit status " + std::to_string(*rc) + ": " + trim(p.output());
      return reply;
    }
    std::string err;
    reply.status = parse_node_status(out, &err);
    if (!reply.status) reply.error = what + ": " + err + " in: " + out;
  } catch (const std::exception& e) {
    reply.error = what + ": cannot run it: " + e.what();
  }
  return reply;
}

bool Cluster::member_statuses(std::vector<NodeStatus>& out, std::string* problem) {
  out.clear();
  for (int i : running_nodes()) {
    StatusReply r = status(i);
    if (!r.status) {
      if (problem) *problem = "node " + std::to_string(i) + " (" + address(i) + "): " + r.error;
      return false;
    }
    out.push_back(*r.status);
  }
  for (auto& m : mounts_) {
    if (!m->running()) continue;
    StatusReply r = status_of_data(m->data_dir());
    if (!r.status) {
      if (problem) *problem = "the mount on " + m->mountpoint() + ": " + r.error;
      return false;
    }
    out.push_back(*r.status);
  }
  return true;
}

bool Cluster::ring_consistent(std::string* problem) {
  std::vector<NodeStatus> members;
  if (!member_statuses(members, problem)) return false;
  for (auto& m : members) {
    if (m.state != "member") {
      if (problem) *problem = m.address + " is in state '" + m.state + "': " + m.json;
      return false;
    }
  }
  // Ids are fixed-width hex, so text order is ring order.
  std::sort(members.begin(), members.end(),
            [](const NodeStatus& a, const NodeStatus& b) { return lower(a.id) < lower(b.id); });
  for (size_t k = 0; k < members.size(); ++k) {
    const NodeStatus& m = members[k];
    const NodeStatus& next = members[(k + 1) % members.size()];
    if (members.size() == 1 && m.successors.empty()) continue;  // alone, with nobody to name
    if (m.successors.empty()) {
      if (problem) *problem = m.address + " has no successor: " + m.json;
      return false;
    }
    if (lower(ref_id(m.successors[0])) != lower(next.id)) {
      if (problem)
        *problem = m.address + "'s first successor is " + m.successors[0] + ", expected " +
                   next.id + "@" + next.address + ": " + m.json;
      return false;
    }
    // Writes go to a key's successor and the next two nodes: until every list names them, a
    // block written now lands on fewer or other nodes and waits for repair (nodes take list
    // entries only once they answered, so lists fill a stabilize round after the first one).
    size_t need = std::min<size_t>(members.size() - 1, 2);
    for (size_t j = 1; j < need; ++j) {
      const NodeStatus& want = members[(k + 1 + j) % members.size()];
      if (m.successors.size() <= j || lower(ref_id(m.successors[j])) != lower(want.id)) {
        if (problem)
          *problem = m.address + "'s successor " + std::to_string(j + 1) + " is not yet " +
                     want.id + "@" + want.address + ": " + m.json;
        return false;
      }
    }
  }
  return true;
}

void Cluster::wait_for_ring(std::chrono::milliseconds timeout) {
  std::string problem;
  bool ok = wait_until([&] { return ring_consistent(&problem); }, timeout, 500ms);
  REQUIRE_MESSAGE(ok, "the ring is not consistent after " << timeout.count() << " ms: " << problem
                                                          << "\nstatuses:\n"
                                                          << statuses_text());
}

double Cluster::wait_for_replication(const std::vector<int>& nodes,
                                     std::chrono::milliseconds timeout,
                                     std::chrono::milliseconds settle) {
  auto started = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> good_since;
  std::string problem;
  bool ok = wait_until(
      [&] {
        problem.clear();
        bool good = ring_consistent(&problem);
        for (size_t k = 0; good && k < nodes.size(); ++k) {
          StatusReply r = status(nodes[k]);
          if (!r.status) {
            problem = "node " + std::to_string(nodes[k]) + ": " + r.error;
            good = false;
          } else if (r.status->below_target != 0) {
            problem = "node " + std::to_string(nodes[k]) + " has " +
                      std::to_string(r.status->below_target) +
                      " keys below target: " + r.status->json;
            good = false;
          }
        }
        auto now = std::chrono::steady_clock::now();
        if (!good) {
          good_since.reset();
          return false;
        }
        if (!good_since) good_since = now;
        return now - *good_since >= settle;
      },
      timeout, 1s);
  CHECK_MESSAGE(ok, "replication not back to target within "
                        << timeout.count() << " ms (including " << settle.count()
                        << " ms of it holding): " << problem << "\nstatuses:\n"
                        << statuses_text());
  return ok ? seconds_since(started) : -1;
}

std::string Cluster::statuses_text() {
  std::string s;
  for (int i = 0; i < size(); ++i) {
    s += "  node " + std::to_string(i) + " " + address(i) + ": ";
    if (!running(i)) {
      auto st = process(i).exit_status();
      s += "not running (exit status " + (st ? std::to_string(*st) : std::string("?")) + ")\n";
      continue;
    }
    StatusReply r = status(i);
    s += (r.status ? r.status->json : r.error) + "\n";
  }
  for (auto& m : mounts_) {
    if (!m->running()) continue;
    StatusReply r = status_of_data(m->data_dir());
    s += "  mount " + m->mountpoint() + ": " + (r.status ? r.status->json : r.error) + "\n";
  }
  return s;
}

PeerMount& Cluster::mount(int node, const std::string& config, const std::string& data,
                          std::vector<std::string> extra_args) {
  return mount_joined(invite(node), config, data, std::move(extra_args));
}

PeerMount& Cluster::mount_joined(const std::string& join, const std::string& config,
                                 const std::string& data, std::vector<std::string> extra_args) {
  std::string mnt = new_dir("mnt");
  PeerMountOptions o{.binary = bin_.peerstorefs,
                     .mountpoint = mnt,
                     .data = data,
                     .config = config,
                     .join = join,
                     .log_path = mnt + ".log",
                     .extra_args = std::move(extra_args)};
  mounts_.push_back(std::make_unique<PeerMount>(std::move(o)));
  PeerMount& m = *mounts_.back();
  m.mount();
  return m;
}

}  // namespace peerstore::test
