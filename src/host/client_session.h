// ClientSession: what `peerstore backup`, `getfile`, `restore` and `ls` run on: the user's home
// tree as a FileSystem without a mount. Its data directory is DATA/client (its own lock, LMDB
// store and device key): a writer of the user's tree of its own, whose commits merge with the
// mounted computers' as another computer's do. The store sits in front of the ring, reached
// through one member node (RelayStore): --node, or the node running on DATA, admitted with
// DATA's network secret. What it wrote and could not upload stays in DATA/client and goes up
// on the next command. Not thread-safe: open, use and destroy on one thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "dht/relay_store.h"
#include "fs/file_system.h"
#include "host/data_dir_layout.h"
#include "host/mount_claims.h"
#include "store/data_dir_lock.h"
#include "store/lmdb_store.h"
#include "store/tiered_store.h"

namespace peerstore::host {

struct ClientOptions {
  DataDirLayout layout;        // DATA (of a node on this computer) and CONFIG (the user)
  std::string node;            // HOST:PORT of a member; empty: the node running on DATA
  int64_t timeout_ms = 30000;  // each call to the ring
  // A command that changes the tree (backup). Only such a session marks DATA/client unsynced
  // until finish() and puts again what an earlier one left behind; the others only read.
  bool writes = false;
};

class ClientSession {
 public:
  // Errors: no user key in CONFIG, no network secret in DATA, no node (running, or given),
  // another command using DATA/client, or a tree that cannot be opened. One line each, saying
  // what to do.
  static Result<std::unique_ptr<ClientSession>> open(const ClientOptions& options);
  // Without finish(): what was committed stays in DATA/client and goes up on the next command.
  ~ClientSession();
  ClientSession(const ClientSession&) = delete;
  ClientSession& operator=(const ClientSession&) = delete;

  FileSystem& fs() { return *fs_; }
  // A second view of the user's tree over the same store and keys, for walks over its history
  // (`peerstore fsck --versions`): at the newest head, read only.
  Result<std::unique_ptr<Volume>> history_view();
  // The tree as it was at `head`, a version of the history, to read from (getfile and restore
  // --version). Nothing may be written through it: it never commits or syncs.
  Result<std::unique_ptr<FileSystem>> version_view(const Head& head);
  const std::string& node() const { return relay_->node(); }
  const std::string& host_data() const { return data_; }  // DATA (not DATA/client)
  // Commits what changed, merges what other computers committed meanwhile, and waits (up to
  // `timeout`) until all of it is on the ring.
  Status finish(std::chrono::milliseconds timeout);
  TieredStore::Stats tier_stats() const { return tiered_->tier_stats(); }

 private:
  ClientSession() = default;

  std::string data_;
  std::string unsynced_;  // DATA/client/unsynced
  // Destroyed in reverse: the file system, the tiered store, the relay, the store, the lock.
  std::optional<DataDirLock> lock_;
  std::unique_ptr<LmdbStore> store_;
  std::unique_ptr<RelayStore> relay_;
  // The claims of what this process writes (docs/lifecycle.md, Ring collection), in a table of
  // its own store, sent through the relay; the tiered store's upload queue calls them.
  std::unique_ptr<KvTable> claims_table_;
  std::unique_ptr<DhtClaimSink> claim_sink_;
  std::unique_ptr<MountClaims> claims_;
  std::unique_ptr<TieredStore> tiered_;
  std::unique_ptr<FileSystem> fs_;
  std::optional<VolumeKeys> home_keys_;
  PublicKey device_;
};

}  // namespace peerstore::host
