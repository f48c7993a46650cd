// UploadQueue: copies what a computer wrote locally to the network in the background, in write
// order where it matters: a volume's heads go up only after every block queued before them, so
// no other computer can see a head whose blocks the network lacks, and after the claims queued
// before them (a commit's new blocks, claimed for this device: docs/lifecycle.md), so no other
// computer adopts a head whose blocks its writer has not claimed. Failed uploads are retried
// until they succeed or the queue is destroyed; a queued head set that a newer one of the same
// volume supersedes is dropped (the newer head descends from it). One worker thread reads block
// bytes from the local store and keeps up to `window` uploads in flight. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/block_store.h"
#include "store/remote_store.h"

namespace peerstore {

struct UploadQueueOptions {
  size_t window = 32;       // uploads in flight
  int64_t retry_ms = 1000;  // first retry delay; doubles up to 30 s
  // Told of each block once the network has it, on the RemoteStore's thread (quick, no blocking;
  // never after the queue is destroyed).
  std::function<void(const BlockId&, size_t bytes)> on_block_uploaded;
  // Claims `blocks` in `volume`'s name for this device; called on the worker thread, must not
  // block, and calls `done` exactly once, on any thread, when the network acknowledged every
  // claim or with the failure (then the item is retried like an upload). Unset: claims are
  // dropped (a store that claims nothing: tests, a client without a volume key).
  std::function<void(const VolumeId& volume, std::vector<BlockId> blocks,
                     std::function<void(Status)> done)>
      claim;
};

class UploadQueue {
 public:
  struct Stats {
    uint64_t pending = 0;  // blocks and head sets not yet uploaded
    uint64_t uploaded_blocks = 0, uploaded_heads = 0, failures = 0;
    uint64_t claimed_blocks = 0;  // in claims the network acknowledged
    std::string last_error;       // of the latest failure, cleared by the next success
  };

  // `local` must outlive the queue; `remote` must outlive every callback it was given (its
  // owner stops it after destroying the queue).
  UploadQueue(BlockStore& local, RemoteStore& remote, UploadQueueOptions opts = {});
  // Stops the worker. What is not uploaded stays in the local store, where the node's repair
  // and handoff find it (DHT-backed setups) or the next start does not.
  ~UploadQueue();
  UploadQueue(const UploadQueue&) = delete;
  UploadQueue& operator=(const UploadQueue&) = delete;

  // Queues uploads; returns a ticket that wait() accepts. sizes[i], where given, is the size
  // of ids[i] in the local store (0: not known), which spares a lookup when the remote stores
  // in the same store (RemoteStore::shares_store_with).
  uint64_t add_blocks(const std::vector<BlockId>& ids, const std::vector<size_t>& sizes = {});
  uint64_t add_heads(const VolumeId& volume, std::vector<Bytes> heads);
  // Queues claims on `blocks` for `volume` (UploadQueueOptions::claim) ahead of the heads queued
  // after them. Returns 0 and queues nothing when there is nothing to claim or no claim hook.
  uint64_t add_claims(const VolumeId& volume, std::vector<BlockId> blocks);
  // add_heads for heads read from the local store earlier (published again because the
  // network lacks them), unless a head set of the volume is queued: that one is a later commit,
  // and these must not supersede it. Returns 0 when it queued nothing.
  uint64_t add_heads_unless_queued(const VolumeId& volume, std::vector<Bytes> heads);
  // Waits until everything queued up to and including `ticket` is uploaded. Errc::unavailable
  // (with the last upload error) when the deadline passes first.
  Status wait(uint64_t ticket, std::chrono::milliseconds timeout);
  // The ticket of the newest queued item (0 if none was ever queued).
  uint64_t last_ticket() const;
  // For each of `ids`, whether it is queued, in flight or waiting for a retry: not yet known to
  // be on the network.
  std::vector<bool> waiting(const std::vector<BlockId>& ids) const;
  Stats stats() const;

 private:
  // A block goes up as soon as there is room; heads and claims are ordered: each waits for
  // everything queued before it that is not a head set (a head set supersedes its volume's older
  // one instead).
  enum class Kind { block, heads, claims };
  struct Item {
    uint64_t seq = 0;
    BlockId id;  // a block, or the volume of a head set or of claims
    Kind kind = Kind::block;
    std::vector<Bytes> heads;
    std::vector<BlockId> claims;
    // Claims items queued right behind this one, of its volume, taken in with it (their blocks
    // are in `claims`): a burst of commits claims in one round instead of one round each.
    std::vector<uint64_t> merged;
    int64_t due_ms = 0;  // retry time
    int64_t backoff_ms = 0;
    size_t bytes = 0;  // of a block, once known (0: not yet)
  };
  // State shared with in-flight callbacks, which may outlive the queue object.
  struct Core {
    std::mutex m;
    std::condition_variable cv;                 // worker: work or room; waiters: progress
    std::deque<Item> blocks, ordered, retries;  // ordered: heads and claims, in queue order
    std::set<uint64_t> outstanding;             // seqs queued, in flight or waiting for a retry
    std::multiset<VolumeId> heads_in_flight;    // the volumes of head sets being uploaded
    // The blocks among them, with how many times each is queued.
    std::unordered_map<BlockId, uint32_t, Id256Hash> waiting;
    size_t in_flight = 0;
    bool stopping = false;
    bool offline = false;  // the last upload failed (logged once per outage)
    Stats stats;
    std::function<void(const BlockId&, size_t)> on_block_uploaded;  // cleared when stopping
  };

  void run();
  // Whether the first ordered item may start: everything queued before it is done, except
  // ordered items still queued and those `taken` (the item it would join) holds.
  bool ordered_ready(const Core& c, const Item* taken = nullptr) const;
  // Takes into `claims` the claims items of its volume queued right behind it, while they are
  // ready, up to kMaxMergedClaims blocks.
  void merge_claims(Core& c, Item& claims) const;
  void start(Item item, std::unique_lock<std::mutex>& lk);
  static void finish(const std::shared_ptr<Core>& core, Item item, const Status& st,
                     int64_t retry_ms);

  BlockStore& local_;
  RemoteStore& remote_;
  UploadQueueOptions opts_;
  std::shared_ptr<Core> core_ = std::make_shared<Core>();
  uint64_t next_seq_ = 1;  // under core_->m
  std::thread worker_;
};

}  // namespace peerstore
