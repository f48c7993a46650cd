// NetworkLikeStore: a LocalStore that behaves like the network behind every computer of a user,
// for tests and benchmarks of live sync that run several computers in one process: blocks are
// shared, heads are kept as the set no other head dominates (as storage nodes keep them), and
// bytes that are no head at all are kept and served too, as a lying node would. Not
// thread-safe.
#pragma once

#include <map>
#include <set>

#include "keys/signed_head.h"
#include "store/memory_store.h"

namespace peerstore::test {

class NetworkLikeStore final : public LocalStore {
 public:
  Result<Bytes> get(const BlockId& id) override {
    if (hidden_.count(id)) return fail(Errc::not_found, "block " + id.short_hex() + " (hidden)");
    return blocks_.get(id);
  }
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn) override {
    if (hidden_.count(id)) return fail(Errc::not_found, "block " + id.short_hex() + " (hidden)");
    return blocks_.view(id, fn);
  }
  Result<bool> contains(const BlockId& id) override {
    if (hidden_.count(id)) return false;
    return blocks_.contains(id);
  }
  // Blocks that are "not on the network yet": reads say not_found until show_all().
  void hide(const BlockId& id) { hidden_.insert(id); }
  void show_all() { hidden_.clear(); }
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
  std::map<VolumeId, std::vector<Bytes>> undecodable_;
  std::set<BlockId> hidden_;
};

}  // namespace peerstore::test
