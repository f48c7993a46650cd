// Node: this computer's DHT node on a data directory, and the one start and stop sequence that
// every binary running a node goes through. Create, start, leave and destroy on one thread;
// dht() is thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "dht/dht_client.h"
#include "host/data_dir_layout.h"
#include "keys/signing_key.h"
#include "store/collecting_store.h"
#include "store/data_dir_lock.h"
#include "store/lmdb_store.h"

namespace peerstore::host {

struct NodeOptions {
  DataDirLayout layout;
  std::string listen = "127.0.0.1:0";  // port 0: any free port
  std::string join;                    // --join as given: empty, an invite token, or HOST:PORT
  // The device key this node proves; none: DATA/device.key, loaded or created.
  std::optional<SigningKey> device;
  int64_t join_timeout_ms = 10000;
  // The most the data directory's store may hold, in bytes (0: what the disk holds); past it
  // the node refuses new copies.
  uint64_t capacity = 0;
  // Another writer shares the store (a mount's file system, through store()): every write goes
  // through a CollectingStore, so that the node's erases skip what that writer stores anew
  // (docs/lifecycle.md). A storage-only node is its store's one writer and keeps no history.
  bool shared_store = false;
  // Storage-only nodes (peerstore-node --replica-ack=written): above 0, a replica acknowledges
  // a put once its commit is in the page cache, and the store is synced this often in the
  // background (LmdbOptions, docs/dht.md "Acknowledging before the disk sync"). A store that a
  // power cut may have corrupted meanwhile is moved aside at the next start (store_set_aside),
  // and the node starts empty for the ring to refill. Refused with shared_store.
  int64_t background_sync_ms = 0;
};

// How often a node that acknowledges before the sync syncs its store: the most a power cut can
// take from it (a process crash takes nothing).
inline constexpr int64_t kBackgroundSyncMs = 200;

// open(): directories, the data directory's lock, admission (--join), the device key, LMDB at
// DATA/store and its ring heads db. start(): the DhtClient (its loop thread) creates or joins the
// ring, then DATA/node.addr is written. leave(): the graceful way out (keys handed over);
// destroying the node without it looks like a crash to the ring.
class Node {
 public:
  // Everything that starts no thread (so a process may still fork after it). Ignores SIGPIPE
  // for the process first (common/process_signals.h).
  static Result<std::unique_ptr<Node>> open(NodeOptions options);
  // open(), then start().
  static Result<std::unique_ptr<Node>> start(NodeOptions options);
  // Starts the DHT node, creates or joins the ring, and writes DATA/node.addr. Once only.
  // `wrap_transport`: tests only (the malicious node), see DhtClientOptions.
  Status start(std::function<std::unique_ptr<Transport>(Transport& inner)> wrap_transport = {});
  // Brings this node's own writes to their full replica count, hands its keys over and leaves
  // the ring (docs/dht.md, "Durability"), up to 60 s; then removes DATA/node.addr. A leave that
  // could not place every key is an error that says the keys stay in DATA: the caller prints it
  // and exits non-zero.
  Status leave();
  // Removes DATA/node.addr if this node wrote it; then stops the DHT node at once.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  const DataDirLayout& layout() const { return options_.layout; }
  // The mount's local store (its own heads in the default heads db); with shared_store, the
  // front that records its writes for the node's guarded erases.
  LocalStore& store();
  // This computer's claims on blocks, a table of store() (store/claim_book.h).
  KvTable& claims_table() { return *claims_table_; }
  // After start().
  DhtClient& dht() { return *dht_; }
  const std::string& address() const { return dht_->address(); }
  // What the node proves in every handshake: its device key (its ring id is node_id_for that
  // key) and the network secret.
  const PeerCredentials& credentials() const { return *credentials_; }

 private:
  Node(NodeOptions options, DataDirLock lock)
      : options_(std::move(options)), lock_(std::move(lock)) {}

  NodeOptions options_;
  // Destroyed in reverse: the DHT node, then the stores, then the lock.
  DataDirLock lock_;
  std::string join_;  // what admission resolved --join to
  PeerCredentialsPtr credentials_;
  std::unique_ptr<LmdbStore> store_, ring_store_;
  // With shared_store: the fronts through which the mount and the DHT node write them.
  std::unique_ptr<CollectingStore> front_, ring_front_;
  std::unique_ptr<KvTable> claims_table_;
  std::unique_ptr<DhtClient> dht_;
  bool address_written_ = false;
};

}  // namespace peerstore::host
