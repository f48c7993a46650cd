// TieredStore: a computer's LocalStore in front of the network. Reads come from the local store
// and fetch misses from the RemoteStore (concurrent misses of one block are fetched once; the
// copy is then kept locally). Writes land in the local store at once and an UploadQueue copies
// them to the network in the background. Head reads merge the network's heads with the local
// ones, so a mount that starts sees what other computers committed. With replicated
// durability, a durable write that carries heads (a commit: fsync, sync, unmount) returns only
// once everything up to it is on the network. Thread-safe.
#pragma once

#include <condition_variable>
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
  UploadQueueOptions upload;
};

class TieredStore final : public LocalStore {
 public:
  struct Stats {
    uint64_t fetched = 0, fetch_failures = 0;
    UploadQueue::Stats upload;
  };

  // `local` and `remote` must outlive the store.
  TieredStore(LocalStore& local, RemoteStore& remote, TieredStoreOptions opts = {});
  ~TieredStore() override;

  Result<Bytes> get(const BlockId& id) override;
  Result<bool> contains(const BlockId& id) override;
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn) override;
  Status for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) override;
  Result<std::vector<Bytes>> heads(const VolumeId& volume) override;
  Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) override;
  Status write(const WriteBatch& batch) override;
  Result<StoreStats> stats() override;

  // Waits until everything written so far is on the network (unmount, a graceful leave).
  Status flush(std::chrono::milliseconds timeout);
  Stats tier_stats() const;

 private:
  struct Fetch;
  Result<Bytes> fetch(const BlockId& id);

  LocalStore& local_;
  RemoteStore& remote_;
  TieredStoreOptions opts_;
  mutable std::mutex m_;
  std::unordered_map<BlockId, std::shared_ptr<Fetch>, Id256Hash> fetches_;
  uint64_t fetched_ = 0, fetch_failures_ = 0;
  bool warned_offline_ = false;
  UploadQueue uploads_;  // last: its worker reads local_ until it is destroyed
};

}  // namespace peerstore
