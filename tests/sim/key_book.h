// KeyBook: every key a sim test stored (blocks, and volumes with the merged head set written to
// them), and checks against the cluster's node state: how many of a key's true replicas hold
// it (a head set counts only with all its heads), whether any live node holds it at all, and
// reading everything back through the DHT. Single-threaded.
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
  // Writes `blocks` random blocks and `volumes` volumes with one head each, from random nodes.
  // Returns the number of writes that failed.
  size_t fill(SimCluster& c, size_t blocks, size_t volumes);

  size_t size() const { return blocks_.size() + heads_.size(); }

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
  struct Vol {
    VolumeId volume;
    Fingerprint fp;  // of the merged head set
    HeadSet set;
  };
  std::map<Id256, Bytes> blocks_;
  std::map<Id256, Vol> heads_;  // by DHT key
  std::vector<VolumeKeys> keys_;
};

}  // namespace peerstore::sim
