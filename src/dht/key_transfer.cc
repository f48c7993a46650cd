#include "dht/key_transfer.h"

#include "common/log.h"

namespace peerstore {

void KeyTransfer::push(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                       const KeyEntry& entry, Done done) {
  auto on_reply = [done](Result<Message> r) {
    if (!r) return done(r.error());
    done({});
  };
  if (entry.kind == KeyKind::block) {
    if (store.released(entry.key)) return done({});  // no claimant needs it: it goes, not moves
    auto data = store.get_block(entry.key);
    if (!data) return done(data.error());
    rpc.call(peer.addr, msg::PutBlock{entry.key, std::move(*data)}, cfg.transfer_timeout_ms,
             on_reply, cfg.store_attempts);
    return;
  }
  // A tombstone goes to no peer that lacks it: the peer has nothing the tombstone could
  // release, and one that dropped it after its horizon would otherwise get it back, and drop
  // it, and get it back (BlockRelease). A peer known to hold the block gets it (send_records).
  if (entry.kind == KeyKind::claims && store.tombstone(entry.volume)) return done({});
  send_records(rpc, store, cfg, peer, entry, std::move(done));
}

void KeyTransfer::send_records(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg,
                               const NodeRef& peer, const KeyEntry& entry, Done done) {
  auto records = store.get_records(entry.kind, entry.volume);
  if (!records) return done(records.error());
  if (records->empty()) return done({});
  rpc.call(
      peer.addr, record_put_request(entry.kind, entry.volume, std::move(*records)),
      cfg.transfer_timeout_ms,
      [done](Result<Message> r) { done(r ? Status() : Status(r.error())); }, cfg.store_attempts);
}

void KeyTransfer::pull(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                       const KeyEntry& entry, Done done) {
  if (entry.kind == KeyKind::block) {
    if (store.released(entry.key)) return done({});
    rpc.call(
        peer.addr, msg::GetBlock{entry.key}, cfg.transfer_timeout_ms,
        [&store, peer, entry, done](Result<Message> r) {
          if (!r) return done(r.error());
          auto* b = std::get_if<msg::Block>(&r->body);
          if (!b) return done(fail(Errc::corrupt, "unexpected answer to get_block"));
          if (!b->data) return done(fail(Errc::not_found, "block " + entry.key.short_hex()));
          store.put_block(entry.key, std::move(*b->data), [peer, done](Status st) {
            if (st.code() == Errc::corrupt)
              log::warn("dht: " + peer.str() + " sent a bad copy: " + st.error().message());
            done(st);
          });
        },
        cfg.store_attempts);
    return;
  }
  if (!is_record_kind(entry.kind) || RecordSet::key_for(entry.kind, entry.volume) != entry.key)
    return done(fail(Errc::corrupt, "entry " + entry.key.short_hex() + " names another owner"));
  rpc.call(
      peer.addr, record_get_request(entry.kind, entry.volume), cfg.transfer_timeout_ms,
      [&store, entry, done](Result<Message> r) {
        if (!r) return done(r.error());
        auto* items = records_of_reply(r->body);
        if (!items) return done(fail(Errc::corrupt, "unexpected answer to a records request"));
        if (items->empty()) return done({});
        store.put_records(entry.kind, entry.volume, *items,
                          [done](Result<bool> r) { done(r ? Status() : Status(r.error())); });
      },
      cfg.store_attempts);
}

void KeyTransfer::exchange_records(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg,
                                   const NodeRef& peer, const KeyEntry& entry, Done done) {
  if (!is_record_kind(entry.kind) || RecordSet::key_for(entry.kind, entry.volume) != entry.key)
    return done(fail(Errc::corrupt, "entry " + entry.key.short_hex() + " names another owner"));
  rpc.call(
      peer.addr, record_get_request(entry.kind, entry.volume), cfg.transfer_timeout_ms,
      [&rpc, &store, &cfg, peer, entry, done](Result<Message> r) {
        if (!r) return done(r.error());
        auto* items = records_of_reply(r->body);
        if (!items) return done(fail(Errc::corrupt, "unexpected answer to a records request"));
        RecordSet theirs(entry.kind, entry.volume);
        theirs.add_trusted(*items);
        auto theirs_fp = ReplicaStore::record_fingerprint(entry.kind, entry.key, theirs.digest());
        // Once theirs is merged into ours, push back unless their set already equals ours.
        bool theirs_empty = items->empty();
        auto push_back = [&rpc, &store, &cfg, peer, entry, done, theirs_fp,
                          theirs_empty](Result<bool> merged) {
          if (!merged && merged.code() != Errc::corrupt) return done(merged.error());
          auto mine = store.entry(entry.kind, entry.key);
          if (!mine || mine->fp == theirs_fp) return done({});
          // A peer that holds a set learns the cancels of ours; one that holds none gets no
          // tombstone (push).
          if (theirs_empty) return push(rpc, store, cfg, peer, *mine, done);
          send_records(rpc, store, cfg, peer, *mine, done);
        };
        if (items->empty()) return push_back(false);
        // Their tombstone, where this node holds neither the claims nor the block: nothing to
        // release here, and taking it in would bring back one dropped after its horizon.
        if (entry.kind == KeyKind::claims && !store.contains(KeyKind::claims, entry.key) &&
            !store.contains(KeyKind::block, entry.key) && theirs.claims() &&
            theirs.claims()->releasable(0, 0))
          return done({});
        store.put_records(entry.kind, entry.volume, *items, push_back);
      },
      cfg.store_attempts);
}

}  // namespace peerstore
