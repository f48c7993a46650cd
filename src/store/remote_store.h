// RemoteStore: the network behind a computer's local store, as the tiered store sees it (the
// DHT in production, a fake in tests). Asynchronous: every call returns at once and its
// callback runs exactly once, later, on a thread of the implementation and never inside the
// call; callbacks must be quick and must not block. Implementations enforce a timeout on every
// call, so a callback always comes. Thread-safe. Conformance suite:
// tests/integration/remote_store_conformance_test.cc.
#pragma once

#include <cstdlib>
#include <functional>
#include <vector>

#include "store/block_store.h"
#include "store/head_store.h"

namespace peerstore {

class RemoteStore {
 public:
  virtual ~RemoteStore() = default;

  // A copy whose BLAKE2b-256 is `id` (implementations verify it), or not_found, unavailable or
  // timeout.
  virtual void get_block(const BlockId& id, std::function<void(Result<Bytes>)> done) = 0;
  // Succeeds once the block is on as many replicas as the network's write quorum. `id` must be
  // the block's hash (the caller sealed it); the receiving replicas check it.
  virtual void put_block(const BlockId& id, Bytes data, std::function<void(Status)> done) = 0;
  // The volume's heads the network holds, each verified; empty if it knows none.
  virtual void get_heads(const VolumeId& volume,
                         std::function<void(Result<std::vector<Bytes>>)> done) = 0;
  // Adds heads to the volume's set; the network keeps those no other head dominates.
  virtual void put_heads(const VolumeId& volume, std::vector<Bytes> heads,
                         std::function<void(Status)> done) = 0;
  // Whether this network side shares `local` (the computer's store): a node hosted by this
  // process, storing in the same LocalStore. Then put_stored_block may be used for blocks
  // `local` holds.
  virtual bool shares_store_with(const BlockStore& local) const {
    (void)local;
    return false;
  }
  // put_block for a block the shared local store holds: the bytes are read from there, and only
  // for copies sent to other nodes; a network of this one node only indexes it. Only where
  // shares_store_with(local) is true (the default aborts). `size` is the block's size if the
  // caller knows it holds the block (it wrote it, and nothing erases a block waiting for
  // upload): a node that only indexes it then reads nothing. With 0 the store is asked, and a
  // block it lacks is Errc::not_found.
  virtual void put_stored_block(const BlockId& id, size_t size, std::function<void(Status)> done);
  // Offers this computer's local copies of blocks that are on the network (uploaded or fetched)
  // for deletion, to bound the local cache. The network side shares the local store: it
  // deletes those its own node need not keep and reports them.
  virtual void release(std::vector<BlockId> ids,
                       std::function<void(std::vector<BlockId>)> done) = 0;
};

inline void RemoteStore::put_stored_block(const BlockId&, size_t, std::function<void(Status)>) {
  std::abort();  // a caller that did not ask shares_store_with
}

}  // namespace peerstore
