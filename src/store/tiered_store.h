// TieredStore: a computer's LocalStore in front of the network. Reads come from the local store
// and fetch misses from the RemoteStore (concurrent misses of one block are fetched once; the
// copy is then kept locally). Writes land in the local store at once and an UploadQueue copies
// them to the network in the background. Head reads merge the network's heads with the local
// ones, so a mount that starts sees what other computers committed. With replicated
// durability, a durable write that carries heads (a commit: fsync, sync, unmount) returns only
// once everything up to it is on the network. The local copies of blocks known to be on the
// network (uploaded or fetched in this run) form a cache bounded by cache_bytes: past it the
// least recently used are offered to the network side, which deletes those its node need not
// keep as a replica. Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "store/local_store.h"
#include "store/remote_store.h"
#include "store/upload_queue.h"

namespace peerstore {

struct TieredStoreOptions {
  bool replicated = false;           // -o durability=replicated
  int64_t fetch_timeout_ms = 60000;  // a guard only: the RemoteStore times out first
  int64_t heads_timeout_ms = 10000;  // then heads() serves the local set alone
  int64_t replicated_timeout_ms = 60000;
  uint64_t cache_bytes = uint64_t(4) << 30;  // -o cache_size
  UploadQueueOptions upload;
};

class TieredStore final : public LocalStore {
 public:
  struct Stats {
    uint64_t fetched = 0, fetch_failures = 0;
    uint64_t cached_bytes = 0;  // tracked local copies of network blocks
    uint64_t released = 0;      // copies the network side deleted to keep within the bound
    UploadQueue::Stats upload;
  };

  // `local` and `remote` must outlive the store.
  TieredStore(LocalStore& local, RemoteStore& remote, TieredStoreOptions opts = {});
  ~TieredStore() override;

  Result<Bytes> get(const BlockId& id) override;
  Result<bool> contains(const BlockId& id) override;
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn) override;
  Status read_part(const BlockId& id, size_t off, size_t len, uint8_t* out, size_t* size) override;
  Status for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) override;
  Result<std::vector<Bytes>> heads(const VolumeId& volume) override;
  Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) override;
  Status write(const WriteBatch& batch) override;
  Result<StoreStats> stats() override;
  Result<StoreSpace> space() override { return local_.space(); }

  // Queues every block and head set of the local store for upload again: for a local store that
  // is no replica (a client's), whose last run ended before its uploads did, nothing else would
  // put them on the network. Puts are idempotent; the network keeps one copy set.
  Status upload_all();
  // Waits until everything written so far is on the network (unmount, a graceful leave).
  Status flush(std::chrono::milliseconds timeout);
  Stats tier_stats() const;
  // The bytes of those of `ids` that wait for upload (their local copies' sizes): what of them
  // is on this computer only (the peerstore.pending attribute).
  uint64_t pending_bytes(const std::vector<BlockId>& ids);
  // For each of `ids`, whether it waits for upload (UploadQueue::waiting): its only copy may be
  // the local one, which a collection must keep.
  std::vector<bool> waiting_for_upload(const std::vector<BlockId>& ids) const {
    return uploads_.waiting(ids);
  }
  // The upload queue's newest ticket, and whether everything queued up to `ticket` is uploaded
  // (blocks, claims, heads): a collection's check that the claims of what it committed went up.
  uint64_t upload_ticket() const { return uploads_.last_ticket(); }
  bool uploaded(uint64_t ticket) {
    return uploads_.wait(ticket, std::chrono::milliseconds(0)).ok();
  }

 private:
  struct Fetch;
  struct Cached {
    size_t bytes;
    std::list<BlockId>::iterator pos;
  };
  Result<Bytes> fetch(const BlockId& id);
  UploadQueueOptions upload_options();
  // The block's local copy is on the network too: it may be released, least recently used first.
  void note_cached(const BlockId& id, size_t bytes);
  void touch(const BlockId& id);
  void forget_cached(const BlockId& id);  // under m_
  void maybe_evict();

  LocalStore& local_;
  RemoteStore& remote_;
  TieredStoreOptions opts_;
  mutable std::mutex m_;
  std::unordered_map<BlockId, std::shared_ptr<Fetch>, Id256Hash> fetches_;
  uint64_t fetched_ = 0, fetch_failures_ = 0;
  bool warned_offline_ = false;
  std::list<BlockId> lru_;  // least recently used first
  std::unordered_map<BlockId, Cached, Id256Hash> cached_;
  uint64_t cached_bytes_ = 0;
  // Shared with release callbacks, which may come after the store is gone.
  std::shared_ptr<std::atomic<uint64_t>> released_ = std::make_shared<std::atomic<uint64_t>>(0);
  UploadQueue uploads_;  // last: its worker reads local_ until it is destroyed
};

}  // namespace peerstore
