#include "dht/dht_client.h"

#include <future>

#include "common/log.h"
#include "dht/chord_node.h"
#include "dht/loop_thread.h"
#include "dht/node_ref.h"
#include "dht/tcp_transport.h"
#include "dht/thread_disk_queue.h"
#include "dht/uv_clock.h"

namespace peerstore {

Result<std::unique_ptr<DhtClient>> DhtClient::start(LocalStore& store, DhtClientOptions opts) {
  if (!opts.credentials) return fail(Errc::invalid, "a node needs credentials to prove");
  // The id peers will check against what the handshake proves.
  const Id256 node_id = node_id_for(opts.credentials->device.public_key());
  std::unique_ptr<DhtClient> c(new DhtClient);
  c->store_ = &store;
  PS_ASSIGN(c->loop_, LoopThread::start("dht"));
  auto joined = std::make_shared<std::promise<Status>>();
  auto joined_f = joined->get_future();
  Status setup = c->loop_->call([&]() -> Status {
    LoopThread& loop = *c->loop_;
    c->clock_ = std::make_unique<UvClock>(loop.loop());
    TcpTransportOptions topt;
    topt.listen = opts.listen;
    topt.credentials = opts.credentials;
    PS_ASSIGN(c->transport_, TcpTransport::start(loop.loop(), topt));
    c->address_ = c->transport_->address();
    c->disk_ = std::make_unique<ThreadDiskQueue>(
        store, [l = c->loop_.get()](std::function<void()> fn) { l->post(std::move(fn)); });
    Transport* via = c->transport_.get();
    if (opts.wrap_transport) {
      c->wrapper_ = opts.wrap_transport(*c->transport_);
      via = c->wrapper_.get();
    }
    c->node_ = std::make_unique<ChordNode>(*via, *c->clock_, store, *c->disk_, node_id, opts.chord);
    if (opts.join.empty()) {
      c->node_->create();
      joined->set_value({});
    } else {
      c->node_->join(opts.join, [joined](Status st) { joined->set_value(st); });
    }
    return {};
  });
  if (!setup) {
    c->loop_->stop([&] { c->shutdown(); });
    return setup.error();
  }
  auto join_failed = [&](const std::string& why) {
    c->loop_->stop([&] { c->shutdown(); });
    return fail(Errc::unavailable, "cannot join " + opts.join + ": " + why);
  };
  const std::string check =
      "; check the address, and that peerstore-node or peerstorefs --listen runs there";
  if (joined_f.wait_for(std::chrono::milliseconds(opts.join_timeout_ms)) !=
      std::future_status::ready)
    return join_failed("no PeerStore node answered within " +
                       std::to_string(opts.join_timeout_ms / 1000) + " s" + check);
  if (Status st = joined_f.get(); !st) {
    if (st.code() == Errc::unavailable || st.code() == Errc::timeout)
      return join_failed("no PeerStore node answers there" + check);
    if (st.code() == Errc::permission) return join_failed(st.error().context);
    return join_failed(st.error().message());
  }
  log::debug("dht: node " + node_id.short_hex() + " listening on " + c->address_ +
             (opts.join.empty() ? ", started a new ring" : ", joined through " + opts.join));
  return c;
}

DhtClient::~DhtClient() {
  if (loop_) loop_->stop([this] { shutdown(); });
}

void DhtClient::shutdown() {
  node_.reset();
  wrapper_.reset();
  disk_.reset();  // drains what the node queued for the disk
  if (transport_) transport_->close([] {});
  clock_.reset();
}

Status DhtClient::leave(std::chrono::milliseconds timeout) {
  auto done = std::make_shared<std::promise<Status>>();
  auto f = done->get_future();
  loop_->post([this, done] {
    if (!node_->is_member()) return done->set_value({});
    node_->leave([this, done](Status st) {
      // What the durability contract promises, measured (docs/dht.md, "Durability").
      const auto& r = node_->replication_stats();
      if (r.writes)
        log::info("dht: " + std::to_string(r.full) + " of " + std::to_string(r.writes) +
                  " writes of this node reached their full replica count; the longest was below "
                  "it for " +
                  std::to_string(r.longest_short_ms) + " ms after its quorum");
      done->set_value(st);
    });
  });
  if (f.wait_for(timeout) != std::future_status::ready)
    return fail(Errc::timeout, "leaving the ring took longer than " +
                                   std::to_string(timeout.count() / 1000) + " s");
  return f.get();
}

msg::NodeStatus DhtClient::status() {
  return loop_->call([this] { return node_->status(); });
}

DhtClient::Observation DhtClient::observe() {
  return loop_->call([this] {
    return Observation{node_->status(), node_->fingers(), node_->ring_size_estimate(),
                       node_->rpc_traffic()};
  });
}

void DhtClient::count_copies(std::vector<BlockId> ids,
                             std::function<void(Result<std::vector<uint32_t>>)> done) {
  loop_->post([this, ids = std::move(ids), done = std::move(done)]() mutable {
    node_->count_copies(std::move(ids), std::move(done));
  });
}

void DhtClient::set_host_facts(std::function<void(msg::NodeStatus&)> facts) {
  loop_->post(
      [this, facts = std::move(facts)]() mutable { node_->set_host_facts(std::move(facts)); });
}

void DhtClient::get_block(const BlockId& id, std::function<void(Result<Bytes>)> done) {
  loop_->post(
      [this, id, done = std::move(done)]() mutable { node_->get_block(id, std::move(done)); });
}

void DhtClient::put_block(const BlockId& id, Bytes data, std::function<void(Status)> done) {
  loop_->post([this, id, data = std::move(data), done = std::move(done)]() mutable {
    // The tiered store uploads what this process sealed: no second hash on the loop thread.
    node_->put_own_block(id, std::move(data), std::move(done));
  });
}

void DhtClient::put_stored_block(const BlockId& id, size_t size, std::function<void(Status)> done) {
  loop_->post([this, id, size, done = std::move(done)]() mutable {
    node_->put_stored_block(id, size, std::move(done));
  });
}

void DhtClient::get_heads(const VolumeId& volume,
                          std::function<void(Result<std::vector<Bytes>>)> done) {
  loop_->post([this, volume, done = std::move(done)]() mutable {
    node_->get_heads(volume, std::move(done));
  });
}

void DhtClient::put_heads(const VolumeId& volume, std::vector<Bytes> heads,
                          std::function<void(Status)> done) {
  loop_->post([this, volume, heads = std::move(heads), done = std::move(done)]() mutable {
    node_->put_heads(volume, std::move(heads), std::move(done));
  });
}

void DhtClient::get_records(KeyKind kind, const Id256& owner,
                            std::function<void(Result<std::vector<Bytes>>)> done) {
  loop_->post([this, kind, owner, done = std::move(done)]() mutable {
    node_->get_records(kind, owner, std::move(done));
  });
}

void DhtClient::put_records(KeyKind kind, const Id256& owner, std::vector<Bytes> records,
                            std::function<void(Status)> done) {
  loop_->post([this, kind, owner, records = std::move(records), done = std::move(done)]() mutable {
    node_->put_records(kind, owner, std::move(records), std::move(done));
  });
}

void DhtClient::watch_heads(const VolumeId& volume, std::function<void()> changed) {
  loop_->post([this, volume, changed = std::move(changed)]() mutable {
    node_->watch_heads(volume, std::move(changed));
  });
}

void DhtClient::watch_records(KeyKind kind, const Id256& owner, std::function<void()> changed) {
  loop_->post([this, kind, owner, changed = std::move(changed)]() mutable {
    node_->watch_records(kind, owner, std::move(changed));
  });
}

void DhtClient::release(std::vector<BlockId> ids, std::function<void(std::vector<BlockId>)> done) {
  loop_->post([this, ids = std::move(ids), done = std::move(done)]() mutable {
    node_->release_blocks(ids, std::move(done));
  });
}

void DhtClient::release_guarded(std::vector<BlockId> ids, std::shared_ptr<const WriteMark> guard,
                                std::function<void(std::vector<BlockId>)> done) {
  loop_->post(
      [this, ids = std::move(ids), guard = std::move(guard), done = std::move(done)]() mutable {
        node_->release_blocks(ids, std::move(done), std::move(guard));
      });
}

}  // namespace peerstore
