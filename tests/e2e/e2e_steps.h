// The steps the end-to-end tests share: the test's seed, writing a Dataset through a fresh mount
// and unmounting it, reading it back through another mount, and seeded choices of nodes. Each
// step prints its timing and fails with the mount's log. Test thread only; not thread-safe.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "e2e/dataset.h"
#include "support/node_cluster.h"

namespace peerstore::test {

// $PEERSTORE_E2E_SEED if set, else a fresh one; printed either way. It fixes the test's own
// choices (file names, sizes, contents, which nodes die), not the ring: node ids come from
// device keys the binaries generate, so where keys land differs from run to run.
uint64_t test_seed(const char* test_name);

// Mounts a fresh --data with `config` joined to node `node`, writes `data`, syncs, then unmounts
// and waits for the process to exit (it uploads everything and leaves the ring first). REQUIRE
// failures name the step and carry the mount's log.
void write_through_mount(Cluster& cluster, int node, const std::string& config, Dataset& data);

// Mounts a fresh --data with `config` joined to node `node` and CHECKs that `data` reads back
// identical (listing and every digest). The mount stays up; the cluster owns it.
PeerMount& check_through_mount(Cluster& cluster, int node, const std::string& config,
                               const Dataset& data);

// Runs argv and CHECKs that it exits 1 within `limit_s` seconds with exactly one line on stderr
// that contains `expected`.
void expect_one_line_failure(Cluster& cluster, const std::string& what,
                             const std::vector<std::string>& argv, const std::string& expected,
                             double limit_s);

// `k` distinct numbers of [0, n), drawn from `rng`.
std::vector<int> pick_distinct(uint64_t& rng, int n, int k);

// "0, 3".
std::string join_ints(const std::vector<int>& v);

// The names in a directory (none if it cannot be read), and whether a path exists.
std::set<std::string> names(const std::string& dir);
bool exists(const std::string& path);

// Runs `peerstore-share ARGS...` (30 s at most): its exit status and output.
struct ShareRun {
  int status = -1;
  std::string out;  // stdout and stderr
};
ShareRun share(Cluster& cluster, std::vector<std::string> args);
// The user id of the identity in `config` (the last line of `peerstore-share whoami`).
std::string user_id(Cluster& cluster, const std::string& config);

// Starts a malicious node (tests/support/malicious_node.cc, misbehaving as `mode`) with node 0's
// network secret, joined to node 0. Returns its index.
int add_malicious_node(Cluster& cluster, const std::string& mode);
// The lines of a malicious node's log that say what it did ("" if it did nothing yet).
std::string misdeeds(const std::string& log);

}  // namespace peerstore::test
