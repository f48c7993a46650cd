// DhtClient: a running DHT node on its own loop thread and the thread-safe face the rest of the
// process sees: the RemoteStore behind a mount's TieredStore, the node's status, and a graceful
// leave. It owns the LoopThread and, on it, the clock, the TCP transport, the disk queue and the
// ChordNode; every call from another thread is posted to the loop, and every callback runs on
// the loop (quick, never blocking). Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "dht/chord_config.h"
#include "dht/message.h"
#include "dht/peer_credentials.h"
#include "dht/rpc_traffic.h"
#include "store/local_store.h"
#include "store/remote_store.h"

namespace peerstore {

class ChordNode;
class LoopThread;
class TcpTransport;
class Transport;
class ThreadDiskQueue;
class UvClock;

struct DhtClientOptions {
  std::string listen = "127.0.0.1:0";  // port 0: any free port
  std::string join;                    // empty: start a new ring
  ChordConfig chord;
  int64_t join_timeout_ms = 10000;
  // Required: the device key this node proves, and the network secret that admits it.
  PeerCredentialsPtr credentials;
  // Tests only: wraps the transport the node talks through (to drop or alter its messages).
  // The wrapper must forward to `inner`, which outlives it.
  std::function<std::unique_ptr<Transport>(Transport& inner)> wrap_transport;
};

class DhtClient final : public RemoteStore {
 public:
  // Listens, then creates a ring or joins the one `opts.join` belongs to. `store` holds what the
  // node keeps for the ring and must outlive the client. A join nobody answers fails within
  // join_timeout_ms with a message that says what to check. The node's ring id is
  // node_id_for(the credentials' device key), the id its handshakes prove.
  static Result<std::unique_ptr<DhtClient>> start(LocalStore& store, DhtClientOptions opts);
  // Stops at once, as a crash would look to the ring (call leave() first to go gracefully).
  ~DhtClient() override;
  DhtClient(const DhtClient&) = delete;
  DhtClient& operator=(const DhtClient&) = delete;

  // Hands this node's keys to the nodes that keep them from now on and tells the neighbours.
  Status leave(std::chrono::milliseconds timeout);
  // The address other nodes reach this one at.
  const std::string& address() const { return address_; }
  msg::NodeStatus status();
  // What the dashboard shows of the node, taken in one go on the loop thread.
  struct Observation {
    msg::NodeStatus status;
    std::vector<NodeRef> fingers;  // distinct, this node excluded
    double ring_size = 1;          // estimated (dht/ring_size.h)
    RpcTraffic traffic;
  };
  Observation observe();
  // What the hosting process adds to the node's status (ChordNode::set_host_facts); called on
  // the loop thread, so it must be quick and safe from there.
  void set_host_facts(std::function<void(msg::NodeStatus&)> facts);

  void get_block(const BlockId& id, std::function<void(Result<Bytes>)> done) override;
  void put_block(const BlockId& id, Bytes data, std::function<void(Status)> done) override;
  bool shares_store_with(const BlockStore& local) const override {
    return local.blocks_identity() == store_->blocks_identity();
  }
  void put_stored_block(const BlockId& id, size_t size, std::function<void(Status)> done) override;
  void get_heads(const VolumeId& volume,
                 std::function<void(Result<std::vector<Bytes>>)> done) override;
  void put_heads(const VolumeId& volume, std::vector<Bytes> heads,
                 std::function<void(Status)> done) override;
  // The owner's record set of a record kind (dht/record_kind.h; heads go through get_heads and
  // put_heads above, as every RemoteStore's do): ChordNode::get_records and put_records. `done`
  // runs on the loop thread and must be quick.
  void get_records(KeyKind kind, const Id256& owner,
                   std::function<void(Result<std::vector<Bytes>>)> done);
  void put_records(KeyKind kind, const Id256& owner, std::vector<Bytes> records,
                   std::function<void(Status)> done);
  void release(std::vector<BlockId> ids, std::function<void(std::vector<BlockId>)> done) override;
  // release() guarded by `guard`, a write mark of the node's store taken earlier (a
  // collection's): a block written after it stays (ChordNode::release_blocks).
  void release_guarded(std::vector<BlockId> ids, std::shared_ptr<const WriteMark> guard,
                       std::function<void(std::vector<BlockId>)> done);
  // How many members of each block's replica set hold it (ChordNode::count_copies); `done`
  // runs on the loop thread and must be quick.
  void count_copies(std::vector<BlockId> ids,
                    std::function<void(Result<std::vector<uint32_t>>)> done);
  // Asks the volume's replicas to push news of its head set (ChordNode::watch_heads);
  // `changed` runs on the loop thread and must be quick.
  void watch_heads(const VolumeId& volume, std::function<void()> changed);
  // The same for the owner's record set of another kind (a user's inbox).
  void watch_records(KeyKind kind, const Id256& owner, std::function<void()> changed);

 private:
  DhtClient() = default;
  void shutdown();  // loop thread

  std::string address_;
  const BlockStore* store_ = nullptr;  // the node's store
  std::unique_ptr<LoopThread> loop_;
  // Loop-thread objects, destroyed on the loop in reverse order.
  std::unique_ptr<UvClock> clock_;
  std::unique_ptr<TcpTransport> transport_;
  std::unique_ptr<Transport> wrapper_;  // tests only: what the node talks through, if set
  std::unique_ptr<ThreadDiskQueue> disk_;
  std::unique_ptr<ChordNode> node_;
};

}  // namespace peerstore
