// KeyTransfer: moving one stored key (a block or a record set: a volume's heads, a user's inbox)
// between this node and a peer, as repair and handoff need it. Pulled keys go through ReplicaStore:
// verified like any other write (bad bytes from a peer store nothing) and done once on disk.
// A block whose claims are all cancelled (ReplicaStore::released) is neither pushed nor pulled:
// it is on its way out on every replica, and a copy moved now would outlive the others.
// Stateless functions; loop thread only (they use the node's Rpc and ReplicaStore).
#pragma once

#include <functional>

#include "dht/chord_config.h"
#include "dht/replica_store.h"
#include "dht/rpc.h"

namespace peerstore {

struct KeyTransfer {
  using Done = std::function<void(Status)>;
  // Sends our copy of the key to the peer.
  static void push(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                   const KeyEntry& entry, Done done);
  // Fetches the peer's copy and stores it (record sets merge).
  static void pull(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                   const KeyEntry& entry, Done done);
  // Record sets that differ: pull theirs, merge, and push the merged set back if theirs lacked
  // anything.
  static void exchange_records(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg,
                               const NodeRef& peer, const KeyEntry& entry, Done done);
};

}  // namespace peerstore
