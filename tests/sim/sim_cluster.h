// SimCluster: the test harness of the sim suite: many real ChordNodes, each with a MemoryStore
// (written through an InlineDiskQueue), a SimTransport and a SimClock, on one SimNetwork. It grows
// rings from joins, crashes and partitions nodes, runs client calls to completion in virtual time,
// and knows the true ring (sorted live member ids) to check the nodes against. The seed comes from
// PEERSTORE_SIM_SEED when set. Single-threaded.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dht/chord_node.h"
#include "sim_seed.h"
#include "store/memory_store.h"
#include "support/inline_disk_queue.h"
#include "support/sim_clock.h"
#include "support/sim_network.h"
#include "support/sim_transport.h"

namespace peerstore::sim {

// The timings the simulation uses: its latencies are 5-50 ms, so timeouts are short.
ChordConfig sim_config();
// sim_config with the replicas' release of blocks no claimant needs made quick: a grace of
// 30 s, swept every 2 s (dht/block_release.h).
ChordConfig release_config();

struct SimPeer {
  std::string addr;
  int ep = -1;
  Id256 id;
  int group = 0;
  bool alive = true;
  std::unique_ptr<MemoryStore> store;
  std::unique_ptr<SimTransport> transport;
  std::unique_ptr<Transport> wrapper;  // what the node talks through, if a test wrapped it
  std::unique_ptr<SimClock> clock;
  std::unique_ptr<InlineDiskQueue> disk;
  std::unique_ptr<ChordNode> node;
  std::function<std::unique_ptr<Transport>(Transport& inner)> wrap;  // kept for a restart
};

class SimCluster {
 public:
  SimCluster(uint64_t seed, ChordConfig cfg = sim_config());
  ~SimCluster();

  SimNetwork& net() { return net_; }
  std::mt19937_64& rng() { return net_.rng(); }
  uint64_t seed() const { return seed_; }
  const ChordConfig& config() const { return cfg_; }
  size_t size() const { return peers_.size(); }
  SimPeer& peer(size_t i) { return *peers_[i]; }
  const SimPeer& peer(size_t i) const { return *peers_[i]; }
  ChordNode& node(size_t i) { return *peers_[i]->node; }

  // A new, idle node with a fresh id. Returns its index. `wrap` (tests of malicious peers) puts
  // a wrapper between the node and its transport, as DhtClientOptions::wrap_transport does.
  using Wrap = std::function<std::unique_ptr<Transport>(Transport& inner)>;
  size_t add_node(const Wrap& wrap = nullptr);
  // How long the disks of nodes added from now on take to report a write (0: the next event).
  void set_disk_delay(int64_t ms) { disk_delay_ms_ = ms; }
  // Node 0 creates the ring, then `n - 1` more join one at a time through random members,
  // `spacing_ms` apart, calling `step` (the invariant checker) after each. Returns false if some
  // join failed.
  bool grow(size_t n, int64_t spacing_ms, const std::function<void()>& step = nullptr);
  // Runs `ms` of virtual time in `step_ms` slices, calling `step` after each.
  void run_checked(int64_t ms, int64_t step_ms, const std::function<void()>& step);
  // Joins node i through a random live member and runs until it is in (or failed).
  Status join(size_t i);
  void crash(size_t i);
  // Node i's process starts again after a crash: same address, same id, the store it had (its
  // disk), a new ChordNode that is not a member yet (join it).
  void restart(size_t i);
  Status leave(size_t i);
  // Partitions: group per node; 0 everywhere is one network.
  void set_group(size_t i, int group);
  void heal();

  bool live(size_t i) const;  // alive and a ring member
  std::vector<size_t> live_nodes() const;
  size_t random_live();
  // How many alive nodes store `key` of `kind` (replicas or not).
  size_t holders(KeyKind kind, const Id256& key);

  // The truth: live members sorted by id (optionally those of one group).
  std::vector<size_t> ring_order(std::optional<int> group = std::nullopt) const;
  // The first `count` live members at or after `key` (within a group if given).
  std::vector<size_t> true_successors(const Id256& key, size_t count,
                                      std::optional<int> group = std::nullopt) const;
  // The same within a ring_order() computed once (for checks over many keys).
  std::vector<size_t> successors_in(const std::vector<size_t>& order, const Id256& key,
                                    size_t count) const;

  void run_for(int64_t ms) { net_.run_for(ms); }

  // Client calls on node `from`, run to completion (or `max_ms` of virtual time).
  Result<Lookup::Outcome> lookup(size_t from, const Id256& key, int64_t max_ms = 30000);
  Status put_block(size_t from, const Id256& id, const Bytes& data, int64_t max_ms = 30000);
  Result<Bytes> get_block(size_t from, const Id256& id, int64_t max_ms = 30000);
  Status put_heads(size_t from, const VolumeId& v, const std::vector<Bytes>& heads,
                   int64_t max_ms = 30000);
  Result<std::vector<Bytes>> get_heads(size_t from, const VolumeId& v, int64_t max_ms = 30000);
  Status put_records(size_t from, KeyKind kind, const Id256& owner,
                     const std::vector<Bytes>& records, int64_t max_ms = 30000);
  Result<std::vector<Bytes>> get_records(size_t from, KeyKind kind, const Id256& owner,
                                         int64_t max_ms = 30000);
  Result<std::vector<uint32_t>> count_copies(size_t from, std::vector<Id256> ids,
                                             int64_t max_ms = 60000);

  // Starts an asynchronous call and runs events until its callback ran or max_ms passed.
  template <typename T>
  T await(const std::function<void(std::function<void(T)>)>& start, T on_timeout, int64_t max_ms);

 private:
  void start_process(SimPeer& p);

  uint64_t seed_;
  ChordConfig cfg_;
  SimNetwork net_;
  int64_t disk_delay_ms_ = 0;
  std::vector<std::unique_ptr<SimPeer>> peers_;
};

}  // namespace peerstore::sim
