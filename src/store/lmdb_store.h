// LmdbStore: the durable LocalStore, an LMDB environment in one directory with two databases,
// "blocks" (BlockId -> ciphertext) and "heads" (VolumeId -> msgpack array of encoded heads).
// Every write() is one synchronous LMDB transaction. Thread-safe (MDB_NOTLS read transactions;
// LMDB serializes writers).
#pragma once

#include <lmdb.h>

#include <atomic>
#include <memory>
#include <string>

#include "store/local_store.h"

namespace peerstore {

class LmdbStore final : public LocalStore {
 public:
  // Creates the directory's database if needed. Errc::busy if another process holds it
  // exclusively is the caller's job (see DataDirLock); LMDB itself allows shared use.
  static Result<std::unique_ptr<LmdbStore>> open(const std::string& dir);
  ~LmdbStore() override;

  Result<Bytes> get(const BlockId& id) override;
  Result<bool> contains(const BlockId& id) override;
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn) override;
  Status for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) override;
  Result<std::vector<Bytes>> heads(const VolumeId& volume) override;
  Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) override;
  Status write(const WriteBatch& batch) override;
  Result<StoreStats> stats() override;

 private:
  LmdbStore() = default;
  void release_mapped_pages();
  void find_map(const std::string& dir);
  MDB_env* env_ = nullptr;
  MDB_dbi blocks_ = 0;
  MDB_dbi heads_ = 0;
  static constexpr size_t kReleaseEvery = 64 << 20;
  std::atomic<size_t> mapped_since_release_{0};
  void* map_addr_ = nullptr;
  size_t map_len_ = 0;
};

}  // namespace peerstore
