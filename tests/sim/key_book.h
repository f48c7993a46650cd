// KeyBook: every key a sim test stored (blocks, and record sets: volumes with the merged head set
// written to them, users' inboxes with their grants, blocks' claims), and checks against the
// cluster's node state: how many of a key's true replicas hold it (a record set counts only with
// all of what was written to it), whether any live node holds it at all, and reading everything
// back through the DHT. Single-threaded.
#pragma once

#include <map>
#include <string>

#include "sim_cluster.h"
#include "test_data.h"

namespace peerstore::sim {

class KeyBook {
 public:
  // Stores through node `from` and records the key. Returns the write's status.
  Status put_block(SimCluster& c, size_t from, const TestBlock& b);
  Status put_heads(SimCluster& c, size_t from, const VolumeKeys& v, const Bytes& head);
  Status put_grant(SimCluster& c, size_t from, const PublicKey& user, const Bytes& grant);
  Status put_claim(SimCluster& c, size_t from, const Id256& block, const Bytes& claim);
  // Writes `blocks` random blocks, `volumes` volumes with one head each, `volumes` inboxes
  // with one grant each and claims (a live one, and on half of them a cancelled one) on
  // `volumes` of the blocks, from random nodes. Returns the number of writes that failed.
  size_t fill(SimCluster& c, size_t blocks, size_t volumes);

  size_t size() const { return blocks_.size() + records_.size(); }

  struct Report {
    size_t keys = 0, lost = 0, under = 0;  // lost: on no live node; under: < target on replicas
    std::string first_problem;
  };
  // Copies on each key's first `target` live members (within a group if given).
  Report check(const SimCluster& c, size_t target, std::optional<int> group = std::nullopt) const;
  // Reads every key back through random live nodes. Returns what failed ("" if nothing).
  std::string read_all(SimCluster& c, size_t max_failures_shown = 3);

  const std::map<Id256, Bytes>& blocks() const { return blocks_; }

 private:
  Status put_record(SimCluster& c, size_t from, KeyKind kind, const Id256& owner,
                    const Bytes& record);
  struct Rec {
    Fingerprint fp;  // of the merged set
    RecordSet set;
  };
  std::map<Id256, Bytes> blocks_;
  std::map<Id256, Rec> records_;  // by DHT key
  std::vector<VolumeKeys> keys_;
};

}  // namespace peerstore::sim
