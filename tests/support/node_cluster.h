// Cluster: a ring of real `peerstore-node` processes on 127.0.0.1 for one test, plus the
// `peerstorefs` mounts the test joins to it, each in its own directory under one base directory
// ($PEERSTORE_TEST_TMPDIR or /tmp). Everything it started dies with it: the destructor unmounts
// every mount and SIGKILLs every process, whether the test passed, failed a CHECK or threw from a
// REQUIRE (and the children have PR_SET_PDEATHSIG, so a crashed test binary takes them along).
// Node status comes from `peerstore status --json`. Uses doctest assertions: test thread only
// (the thread that spawned the processes). Not thread-safe.
//
// Environment: PEERSTOREFS, PEERSTORE_NODE, PEERSTORE_CLI, PEERSTORE_SHARE name the binaries
// (meson sets them);
// CI makes a missing prerequisite a failure; PEERSTORE_TEST_KEEP=1 keeps the directories.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/child_process.h"
#include "support/node_status.h"
#include "support/peer_mount.h"

namespace peerstore::test {

struct ClusterBinaries {
  std::string peerstorefs, node, cli, share;
  // From the environment, with FUSE checked too if `needs_fuse`. Reports a missing prerequisite
  // (see fuse_check.h) and returns nullopt; the test must then return.
  static std::optional<ClusterBinaries> from_env(bool needs_fuse = true);
};

// One `peerstore status --json` answer, or why there is none.
struct StatusReply {
  std::optional<NodeStatus> status;
  std::string error;  // the tool's exit status and output, or what the parser disliked
};

class Cluster {
 public:
  // Makes the base directory; starts nothing. `name` goes into the directory name.
  Cluster(ClusterBinaries binaries, std::string_view name);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Starts `n` nodes (node 0 makes a new ring, the others join it with an invite token from node
  // 0, one after the other) and waits until the ring is consistent; a REQUIRE failure with every
  // status otherwise.
  void start(int n, std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // Starts one more peerstore-node, admitted with an invite from node 0, and waits until it says
  // it is a member (not for the ring). Returns its index.
  int add_member();
  // Starts one more node joined to node 0 from `binary`, a program that takes peerstore-node's
  // flags (a test-only node), plus `extra_args`; `prepare(data_dir)` runs before it starts.
  // Waits until it says it is a member, not for the ring. Returns its index.
  int add_node(const std::string& binary, const std::vector<std::string>& extra_args,
               const std::function<void(const std::string& data_dir)>& prepare = {});

  int size() const { return static_cast<int>(nodes_.size()); }
  const std::string& address(int i) const { return nodes_.at(i).address; }
  const std::string& data_dir(int i) const { return nodes_.at(i).data; }
  ChildProcess& process(int i) { return *nodes_.at(i).process; }
  bool running(int i);
  std::vector<int> running_nodes();
  void kill9(int i);
  // The last lines node i logged, for failure messages.
  std::string node_log(int i, size_t last_lines = 40);

  // An invite token for node i (`peerstore invite --data DATA_i --address ADDRESS_i`); and one
  // from any data directory (`peerstore invite --data DIR EXTRA...`). REQUIRE failure if none.
  std::string invite(int i);
  std::string invite_from(const std::string& data_dir, std::vector<std::string> extra = {});

  // One `peerstore status` call (--node for a cluster node, with its data directory for the
  // network secret; --data for a mount's node).
  StatusReply status(int i) { return status_with({"--node", address(i), "--data", data_dir(i)}); }
  StatusReply status_of_data(const std::string& data_dir) {
    return status_with({"--data", data_dir});
  }
  // The same for node i with the whole ring's space (`--ring`).
  StatusReply ring_status(int i) {
    return status_with({"--node", address(i), "--data", data_dir(i), "--ring"});
  }

  // Asks every running node and mount. True if each answers, is a member, and its first two
  // successors (where the ring has them: the rest of a key's replica set) are the next members
  // in id order; otherwise *problem says what is wrong.
  bool ring_consistent(std::string* problem);
  // Polls ring_consistent(); a REQUIRE failure with the problem and every status on timeout.
  void wait_for_ring(std::chrono::milliseconds timeout);
  // Polls until the ring is consistent and every given node reports below_target == 0, and that
  // has held for `settle` (longer than a repair period, so a count not yet updated after a
  // change cannot pass). CHECK failure with every status on timeout. Returns the seconds taken.
  double wait_for_replication(const std::vector<int>& nodes, std::chrono::milliseconds timeout,
                              std::chrono::milliseconds settle = std::chrono::seconds(6));
  // Every running node's and mount's status line (or error), for failure messages.
  std::string statuses_text();

  // A new empty directory under the base directory: BASE/STEM-N.
  std::string new_dir(std::string_view stem);
  // Mounts peerstorefs joined to node `node` with its invite token (or to `join`: a token or
  // HOST:PORT), on a new mountpoint, with these
  // directories (make them with new_dir). The cluster owns the mount; the reference stays valid
  // until the cluster is destroyed.
  PeerMount& mount(int node, const std::string& config, const std::string& data,
                   std::vector<std::string> extra_args = {});
  PeerMount& mount_joined(const std::string& join, const std::string& config,
                          const std::string& data, std::vector<std::string> extra_args = {});

  const std::string& base_dir() const { return base_; }
  const ClusterBinaries& binaries() const { return bin_; }

 private:
  struct Node {
    std::string address, data, log;
    std::optional<ChildProcess> process;
  };
  void start_node(int i, const std::string& join, const std::string& binary = {},
                  const std::vector<std::string>& extra_args = {},
                  const std::function<void(const std::string&)>& prepare = {});
  StatusReply status_with(std::vector<std::string> where);
  // Statuses of every running node and mount; false with *problem if one does not answer.
  bool member_statuses(std::vector<NodeStatus>& out, std::string* problem);

  ClusterBinaries bin_;
  std::string base_;
  bool keep_ = false;
  int dirs_made_ = 0;
  std::vector<Node> nodes_;
  std::vector<std::unique_ptr<PeerMount>> mounts_;
};

}  // namespace peerstore::test
