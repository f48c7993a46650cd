// RangeSync: one repair exchange between this node and a peer over a key range (lo, hi]. It
// compares range summaries (key count and XOR of fingerprints for each of 16 parts), descends
// only into the parts that differ, asks for key lists only once a differing part is small, and
// then pulls the keys this node lacks, pushes the ones the peer lacks, and merges head sets that
// differ both ways. When the two sides agree it costs one request. Keeps itself alive through
// its pending calls. Loop thread only.
#pragma once

#include <functional>
#include <memory>

#include "dht/chord_config.h"
#include "dht/key_transfer.h"
#include "dht/replica_store.h"
#include "dht/rpc.h"
#include "dht/transfer_queue.h"

namespace peerstore {

class RangeSync : public std::enable_shared_from_this<RangeSync> {
 public:
  struct Stats {
    uint64_t requests = 0, pulled = 0, pushed = 0, merged = 0, failed = 0;
    uint64_t refused_full = 0;  // pushes of blocks the peer refused for want of space
    bool complete = true;       // every summary and list request answered
    // Keys the peer lacked (or held a differing head set of) that it did not get from us.
    std::vector<KeyEntry> unplaced;
  };
  using Done = std::function<void(const Stats&)>;

  static constexpr unsigned kPartsLog2 = 4;
  static constexpr uint64_t kListBelow = 128;  // list a differing part with fewer keys than this
  static constexpr uint32_t kListLimit = 512;

  static void start(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                    const Id256& lo, const Id256& hi, Done done);

  RangeSync(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer, Done done)
      : rpc_(rpc),
        store_(store),
        cfg_(cfg),
        peer_(peer),
        done_(std::move(done)),
        queue_(cfg.transfer_window) {}

 private:
  void summarize(const Id256& lo, const Id256& hi, unsigned depth);
  void list(const Id256& lo, const Id256& hi);
  void compare(const std::vector<KeyEntry>& theirs, const std::vector<KeyEntry>& mine);
  // 0 pull, 1 push, 2 exchange records, 3 send records as they are (KeyTransfer::send_records)
  void transfer(const KeyEntry& e, int how);
  void begin() { ++outstanding_; }
  void end();

  Rpc& rpc_;
  ReplicaStore& store_;
  const ChordConfig& cfg_;
  NodeRef peer_;
  Done done_;
  TransferQueue queue_;
  size_t outstanding_ = 0;
  Stats stats_;
};

}  // namespace peerstore
