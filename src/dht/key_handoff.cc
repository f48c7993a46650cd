#include "dht/key_handoff.h"

#include "dht/record_kind.h"

namespace peerstore {

void KeyHandoff::start(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                       std::vector<KeyEntry> entries, Done done, Progress progress) {
  auto h = std::make_shared<KeyHandoff>(rpc, store, cfg, peer, std::move(entries), std::move(done),
                                        std::move(progress));
  h->next_batch();
}

void KeyHandoff::finish(Status st) {
  Done d = std::move(done_);
  done_ = nullptr;
  if (d) d(st, stats_);
}

void KeyHandoff::next_batch() {
  if (pos_ >= entries_.size()) return finish({});
  size_t n = std::min(kBatch, entries_.size() - pos_);
  msg::Offer offer;
  offer.entries.assign(entries_.begin() + pos_, entries_.begin() + pos_ + n);
  size_t base = pos_;
  pos_ += n;
  stats_.offered += n;
  auto self = shared_from_this();
  rpc_.call(peer_.addr, std::move(offer), cfg_.rpc_timeout_ms, [self, base, n](Result<Message> r) {
    if (!r) return self->finish(r.error());
    auto* w = std::get_if<msg::Want>(&r->body);
    if (!w) return self->finish(fail(Errc::corrupt, "unexpected answer to offer"));
    self->note_progress();
    self->in_flight_ = 1;  // the batch itself, released below
    for (uint32_t i : w->indices) {
      if (i >= n) continue;  // a bogus index from the peer
      KeyEntry e = self->entries_[base + i];
      ++self->in_flight_;
      self->queue_.push([self, e](std::function<void()> finished) {
        // A record set the peer wants differs from ours: it may know more (a replica that
        // learned of cancels this stray copy's holder never heard of), so the sets are
        // exchanged, not just pushed; otherwise a stray copy of a released block would never
        // learn it is released, and would stay, and be offered back, forever.
        auto transfer =
            is_record_kind(e.kind) ? &KeyTransfer::exchange_records : &KeyTransfer::push;
        transfer(self->rpc_, self->store_, self->cfg_, self->peer_, e, [self, finished](Status st) {
          if (st) {
            ++self->stats_.pushed;
            self->note_progress();
          } else {
            ++self->stats_.failed;
          }
          finished();
          if (--self->in_flight_ == 0) self->next_batch();
        });
      });
    }
    if (--self->in_flight_ == 0) self->next_batch();
  });
}

}  // namespace peerstore
