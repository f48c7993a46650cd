// Several computers of one user in one process, for the live-sync suites: each a FileSystem
// with its own device key over a NetworkLikeStore.
// Only for use inside doctest test cases. Not thread-safe.
#pragma once

#include <random>

#include "fs_harness.h"
#include "support/network_like_store.h"

namespace peerstore::test {

struct Computer : FsHarness {
  // Opens the user's volume as seen through `net`, as device number `n`.
  Computer(NetworkLikeStore& net, uint8_t n);
  void sync();
  std::optional<BlockPtr> table() const { return fs->volume().table_root(); }
  std::string read_text(uint64_t ino);
  // Every entry's target exists, link counts match the names, ".." of each directory is where
  // it is listed, and nothing is listed twice as a directory. Returns the paths of all files.
  std::vector<std::string> check_tree();
};

// Syncs every computer in turn until all are at one tree; REQUIREs that they get there.
void converge(std::vector<Computer*> cs);

PublicKey device_key(uint8_t n);

}  // namespace peerstore::test
