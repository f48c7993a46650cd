// Several computers of one user in one process, for the live-sync suites: each a FileSystem
// with its own device key over a store that behaves like the network behind every computer
// (blocks shared, heads kept as the set no other head dominates, as storage nodes keep them).
// Only for use inside doctest test cases. Not thread-safe.
#pragma once

#include <random>

#include "fs_harness.h"

namespace peerstore::test {

class NetworkLikeStore final : public LocalStore {
 public:
  Result<Bytes> get(const BlockId& id) override { return blocks_.get(id); }
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn) override {
    return blocks_.view(id, fn);
  }
  Result<bool> contains(const BlockId& id) override { return blocks_.contains(id); }
  Status for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) override {
    return blocks_.for_each_id(fn);
  }
  Result<std::vector<Bytes>> heads(const VolumeId& v) override;
  Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) override {
    return blocks_.for_each_volume(fn);
  }
  Status write(const WriteBatch& batch) override;
  Result<StoreStats> stats() override { return blocks_.stats(); }

 private:
  MemoryStore blocks_;
  std::map<VolumeId, std::vector<Head>> heads_;
};

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
