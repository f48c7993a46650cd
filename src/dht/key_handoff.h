// KeyHandoff: gives a peer the keys it should hold, without shipping what it has: offers the
// keys' ids and fingerprints in batches, and pushes only the blocks the peer asks for; record
// sets (heads, inboxes, claims) whose fingerprint differs are exchanged both ways, so the
// holder of a stray copy also learns what the owners know (the cancels that release a block). Used
// by a leaving node for its keys and by every node for the copies it holds outside its replica
// range. Keeps itself alive through its pending calls. `progress`, if given, is called on every
// answered offer and every key pushed, so a caller can tell a slow handoff from a stalled one. Loop
// thread only.
#pragma once

#include <functional>
#include <memory>

#include "dht/chord_config.h"
#include "dht/key_transfer.h"
#include "dht/replica_store.h"
#include "dht/rpc.h"
#include "dht/transfer_queue.h"

namespace peerstore {

class KeyHandoff : public std::enable_shared_from_this<KeyHandoff> {
 public:
  struct Stats {
    uint64_t offered = 0, pushed = 0, failed = 0;
  };
  using Done = std::function<void(Status, const Stats&)>;
  using Progress = std::function<void()>;
  static constexpr size_t kBatch = 256;

  static void start(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                    std::vector<KeyEntry> entries, Done done, Progress progress = {});

  KeyHandoff(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
             std::vector<KeyEntry> entries, Done done, Progress progress)
      : rpc_(rpc),
        store_(store),
        cfg_(cfg),
        peer_(peer),
        entries_(std::move(entries)),
        done_(std::move(done)),
        progress_(std::move(progress)),
        queue_(cfg.transfer_window) {}

 private:
  void next_batch();
  void finish(Status st);
  void note_progress() {
    if (progress_) progress_();
  }

  Rpc& rpc_;
  ReplicaStore& store_;
  const ChordConfig& cfg_;
  NodeRef peer_;
  std::vector<KeyEntry> entries_;
  Done done_;
  Progress progress_;
  TransferQueue queue_;
  size_t pos_ = 0;
  size_t in_flight_ = 0;
  Stats stats_;
};

}  // namespace peerstore
