// RelayStore: the ring as a process without a node of its own sees it (`peerstore backup`,
// `getfile`, `restore`, `ls`): every block and head call goes over one client-only connection
// to one member node, which does the ring operation for it (ChordNode::relay_for_client) with
// its own lookups, quorum and checks. What comes back is checked here again (block ids, head
// signatures): the relaying node is trusted for availability only. Holds no replica, so
// release() deletes every offered block from the cache it was given. Owns its loop thread;
// callbacks run there. Thread-safe.
#pragma once

#include <memory>
#include <string>

#include "dht/message.h"
#include "dht/peer_credentials.h"
#include "store/local_store.h"
#include "store/remote_store.h"

namespace peerstore {

class LoopThread;
class Rpc;
class TcpTransport;
class UvClock;

struct RelayStoreOptions {
  std::string node;  // HOST:PORT of a member node
  // Admit this client to the node's network (a key of its own and the network secret).
  PeerCredentialsPtr credentials;
  // Each call's limit: the node's own lookups and retries happen within it.
  int64_t timeout_ms = 30000;
  // The local store whose blocks release() deletes (the client's bounded cache); may be null.
  LocalStore* cache = nullptr;
};

class RelayStore final : public RemoteStore {
 public:
  // Connects nothing yet (the first call does); fails only if the loop cannot start.
  static Result<std::unique_ptr<RelayStore>> start(RelayStoreOptions opts);
  // Calls still pending are dropped without their callbacks: let them finish first (a tiered
  // store's flush does).
  ~RelayStore() override;
  RelayStore(const RelayStore&) = delete;
  RelayStore& operator=(const RelayStore&) = delete;

  const std::string& node() const { return opts_.node; }

  void get_block(const BlockId& id, std::function<void(Result<Bytes>)> done) override;
  void put_block(const BlockId& id, Bytes data, std::function<void(Status)> done) override;
  void get_heads(const VolumeId& volume,
                 std::function<void(Result<std::vector<Bytes>>)> done) override;
  void put_heads(const VolumeId& volume, std::vector<Bytes> heads,
                 std::function<void(Status)> done) override;
  void release(std::vector<BlockId> ids, std::function<void(std::vector<BlockId>)> done) override;
  // A record set's put (the claims this process makes on its blocks: DhtClaimSink), checked
  // by the relaying node as its own.
  void put_records(KeyKind kind, const Id256& owner, std::vector<Bytes> records,
                   std::function<void(Status)> done);

 private:
  explicit RelayStore(RelayStoreOptions opts);
  // Sends `request` to the node from the loop thread; `done` gets the answer there.
  void call(Body request, std::function<void(Result<Message>)> done);
  Error unreachable(const Error& e) const;

  RelayStoreOptions opts_;
  std::unique_ptr<LoopThread> loop_;
  // Loop thread only; created on it and destroyed on it by the destructor.
  std::unique_ptr<UvClock> clock_;
  std::unique_ptr<TcpTransport> transport_;
  std::unique_ptr<Rpc> rpc_;
};

}  // namespace peerstore
