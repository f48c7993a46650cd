// LmdbStore: the durable LocalStore, an LMDB environment in one directory with a "blocks"
// database (BlockId -> ciphertext) and a heads database (VolumeId -> msgpack array of encoded
// heads). Several LmdbStores can share one environment and its blocks while each keeps its own
// heads database (with_heads_db): a mount's own heads and the head sets its DHT node stores for
// the ring are different records of the same volume. Tables of small records live beside them
// (table(): LmdbTable). Every write() is one LMDB transaction.
// Thread-safe (MDB_NOTLS read transactions; LMDB serializes writers).
#pragma once

#include <lmdb.h>

#include <atomic>
#include <memory>
#include <string>

#include "store/kv_table.h"
#include "store/local_store.h"

namespace peerstore {

struct LmdbOptions {
  // 0: every commit syncs: a durable one fully, any other its data pages (MDB_NOMETASYNC), so a
  // power cut may forget the last commits but never corrupts the store. Above 0 (a storage-only
  // node's --replica-ack=written): commits that are not durable are not synced at all, a thread
  // syncs the environment this often, and an unsynced marker (store/unsynced_marker.h) is on
  // disk while commits may be unsynced. Durable commits sync as always.
  int64_t background_sync_ms = 0;
  // The boot this process runs in (tests); empty: the kernel's.
  std::string boot_id;
};

class LmdbStore final : public LocalStore {
 public:
  // Creates the directory's database if needed. Errc::busy if another process holds it
  // exclusively is the caller's job (see DataDirLock); LMDB itself allows shared use.
  // Errc::corrupt if the directory holds another boot's unsynced marker (the machine went down
  // with unsynced commits): the caller decides what becomes of it (host::Node moves a storage
  // node's store aside).
  static Result<std::unique_ptr<LmdbStore>> open(const std::string& dir,
                                                 const LmdbOptions& options = {});
  // A store on the same environment and blocks with the heads database `name` (created if
  // needed). Call it before other threads use the environment (LMDB opens databases unlocked).
  Result<std::unique_ptr<LmdbStore>> with_heads_db(const std::string& name);
  // A table of small records (store/kv_table.h), the database `name` in this environment
  // (created if needed). Call it before other threads use the environment, as with_heads_db.
  Result<std::unique_ptr<KvTable>> table(const std::string& name);
  // Shared with every with_heads_db view: they hold the same blocks.
  const void* blocks_identity() const override { return env_.get(); }
  ~LmdbStore() override;

  Result<Bytes> get(const BlockId& id) override;
  Result<bool> contains(const BlockId& id) override;
  Status view(const BlockId& id, const std::function<Status(ByteView)>& fn) override;
  // pread from the data file at the value's offset in the map: the kernel copies from its page
  // cache, and no page is mapped into this process (no faults, no RSS, nothing to release).
  Status read_part(const BlockId& id, size_t off, size_t len, uint8_t* out, size_t* size) override;
  Status for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) override;
  Result<std::vector<Bytes>> heads(const VolumeId& volume) override;
  Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) override;
  Status write(const WriteBatch& batch) override;
  Result<StoreStats> stats() override;
  // The disk's free space plus what LMDB reuses without growing its file (its free list and
  // the file's tail), capped by the capacity if one is set.
  Result<StoreSpace> space() override;
  // Stores at most `bytes` in the environment (every store on it); 0: as much as the disk holds.
  void set_capacity(uint64_t bytes);
  // Syncs the background thread has made (LmdbOptions::background_sync_ms), and whether the
  // unsynced marker is on disk now: for tests and status.
  uint64_t background_syncs() const;
  bool marked_unsynced() const;

 private:
  struct Env;  // the environment and its blocks, shared by every store on it
  LmdbStore(std::shared_ptr<Env> env, MDB_dbi heads) : env_(std::move(env)), heads_(heads) {}
  static Result<MDB_dbi> open_db(MDB_env* env, const std::string& name);
  Status write_txn(const WriteBatch& batch);
  std::shared_ptr<Env> env_;
  MDB_dbi heads_ = 0;
};

}  // namespace peerstore
