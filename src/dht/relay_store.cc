#include "dht/relay_store.h"

#include "dht/head_set.h"
#include "dht/loop_thread.h"
#include "dht/node_ref.h"
#include "dht/rpc.h"
#include "dht/tcp_transport.h"
#include "dht/uv_clock.h"
#include "keys/block_cipher.h"

namespace peerstore {

RelayStore::RelayStore(RelayStoreOptions opts) : opts_(std::move(opts)) {}

Result<std::unique_ptr<RelayStore>> RelayStore::start(RelayStoreOptions opts) {
  if (!opts.credentials) return fail(Errc::invalid, "a relay store needs credentials");
  std::unique_ptr<RelayStore> s(new RelayStore(std::move(opts)));
  PS_ASSIGN(s->loop_, LoopThread::start("ps-relay"));
  Status setup = s->loop_->call([&]() -> Status {
    RelayStore& r = *s;
    r.clock_ = std::make_unique<UvClock>(r.loop_->loop());
    TcpTransportOptions topt;
    topt.credentials = r.opts_.credentials;
    PS_ASSIGN(r.transport_, TcpTransport::start(r.loop_->loop(), std::move(topt)));
    // No listen address: the node sees a client, never a ring member to route to.
    NodeRef self;
    self.id = node_id_for(r.opts_.credentials->device.public_key());
    self.addr = "client";
    r.rpc_ = std::make_unique<Rpc>(*r.transport_, *r.clock_, self);
    return {};
  });
  if (!setup) return setup.error();
  return s;
}

RelayStore::~RelayStore() {
  if (!loop_) return;
  loop_->stop([this] {
    rpc_.reset();
    if (transport_) transport_->close([] {});
    clock_.reset();
  });
}

Error RelayStore::unreachable(const Error& e) const {
  if (e.code != Errc::timeout && e.code != Errc::unavailable) return e;
  return Error{Errc::unavailable, "no answer from the PeerStore node at " + opts_.node + " (" +
                                      e.context + "); is it running, and is the address right?"};
}

void RelayStore::call(Body request, std::function<void(Result<Message>)> done) {
  loop_->post([this, request = std::move(request), done = std::move(done)]() mutable {
    rpc_->call(opts_.node, std::move(request), opts_.timeout_ms, std::move(done));
  });
}

void RelayStore::get_block(const BlockId& id, std::function<void(Result<Bytes>)> done) {
  call(msg::GetBlock{id}, [this, id, done = std::move(done)](Result<Message> r) {
    if (!r) return done(unreachable(r.error()));
    auto* b = std::get_if<msg::Block>(&r->body);
    if (!b) return done(fail(Errc::corrupt, std::string("unexpected answer: ") + r->type_name()));
    if (!b->data) return done(fail(Errc::not_found, "block " + id.hex() + " is not on the ring"));
    // The relaying node could hand back anything: only bytes that hash to the id count.
    if (!block_id_matches(id, *b->data))
      return done(fail(Errc::corrupt, "the node at " + opts_.node + " returned a wrong block"));
    done(std::move(*b->data));
  });
}

void RelayStore::put_block(const BlockId& id, Bytes data, std::function<void(Status)> done) {
  call(msg::PutBlock{id, std::move(data)}, [this, done = std::move(done)](Result<Message> r) {
    if (!r) return done(unreachable(r.error()));
    done({});
  });
}

void RelayStore::get_heads(const VolumeId& volume,
                           std::function<void(Result<std::vector<Bytes>>)> done) {
  call(msg::GetHeads{volume}, [this, volume, done = std::move(done)](Result<Message> r) {
    if (!r) return done(unreachable(r.error()));
    auto* h = std::get_if<msg::Heads>(&r->body);
    if (!h) return done(fail(Errc::corrupt, std::string("unexpected answer: ") + r->type_name()));
    // Heads the relaying node made up or took from another volume are dropped here.
    HeadSet set(volume);
    for (auto& bytes : h->heads)
      if (auto head = HeadSet::check(volume, bytes)) set.add(*head);
    done(set.encoded());
  });
}

void RelayStore::put_heads(const VolumeId& volume, std::vector<Bytes> heads,
                           std::function<void(Status)> done) {
  call(msg::PutHeads{volume, std::move(heads)}, [this, done = std::move(done)](Result<Message> r) {
    if (!r) return done(unreachable(r.error()));
    done({});
  });
}

void RelayStore::put_records(KeyKind kind, const Id256& owner, std::vector<Bytes> records,
                             std::function<void(Status)> done) {
  call(msg::PutRecords{kind, owner, std::move(records)},
       [this, done = std::move(done)](Result<Message> r) {
         if (!r) return done(unreachable(r.error()));
         done({});
       });
}

void RelayStore::release(std::vector<BlockId> ids, std::function<void(std::vector<BlockId>)> done) {
  loop_->post([this, ids = std::move(ids), done = std::move(done)]() mutable {
    // The ring holds them (the caller offers only uploaded or fetched blocks) and this process
    // keeps no replica: every one may go from the cache.
    if (!opts_.cache) return done({});
    WriteBatch w;
    w.erase = ids;
    w.durable = false;
    if (!opts_.cache->write(w)) return done({});
    done(std::move(ids));
  });
}

}  // namespace peerstore
