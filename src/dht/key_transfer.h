// KeyTransfer: moving one stored key (a block or a record set: a volume's heads, a user's inbox)
// between this node and a peer, as repair and handoff need it. Pulled keys go through ReplicaStore:
// verified like any other write (bad bytes from a peer store nothing) and done once on disk.
// A block whose claims are all cancelled (ReplicaStore::released) is neither pushed nor pulled:
// it is on its way out on every replica, and a copy moved now would outlive the others. Its
// claims, once it is gone from a node (a tombstone, ReplicaStore::tombstone), go only to a peer
// that holds claims of the block too, and come only to a node that holds the block or its claims.
// Stateless functions; loop thread only (they use the node's Rpc and ReplicaStore).
#pragma once

#include <functional>

#include "dht/chord_config.h"
#include "dht/replica_store.h"
#include "dht/rpc.h"

namespace peerstore {

struct KeyTransfer {
  using Done = std::function<void(Status)>;
  // Sends our copy of the key to the peer, which lacks it.
  static void push(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                   const KeyEntry& entry, Done done);
  // Fetches the peer's copy and stores it (record sets merge).
  static void pull(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                   const KeyEntry& entry, Done done);
  // Record sets that differ: pull theirs, merge, and push the merged set back if theirs lacked
  // anything.
  static void exchange_records(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg,
                               const NodeRef& peer, const KeyEntry& entry, Done done);
  // Sends our record set of the entry's owner, a tombstone too: to a peer known to hold the
  // block, which the tombstone lets go.
  static void send_records(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg,
                           const NodeRef& peer, const KeyEntry& entry, Done done);
};

}  // namespace peerstore
