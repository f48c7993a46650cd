#include "dht/range_sync.h"

#include "dht/ring.h"

namespace peerstore {

void RangeSync::start(Rpc& rpc, ReplicaStore& store, const ChordConfig& cfg, const NodeRef& peer,
                      const Id256& lo, const Id256& hi, Done done) {
  auto s = std::make_shared<RangeSync>(rpc, store, cfg, peer, std::move(done));
  s->summarize(lo, hi, 0);
}

void RangeSync::end() {
  if (--outstanding_ > 0) return;
  Done d = std::move(done_);
  done_ = nullptr;
  if (d) d(stats_);
}

void RangeSync::summarize(const Id256& lo, const Id256& hi, unsigned depth) {
  begin();
  ++stats_.requests;
  auto self = shared_from_this();
  rpc_.call(peer_.addr, msg::Summarize{lo, hi, kPartsLog2}, cfg_.rpc_timeout_ms,
            [self, lo, hi, depth](Result<Message> r) {
              auto* s = r ? std::get_if<msg::Summary>(&r->body) : nullptr;
              if (!s || s->parts.size() != (size_t(1) << kPartsLog2)) {
                self->stats_.complete = false;
                return self->end();
              }
              auto mine = self->store_.summarize(lo, hi, kPartsLog2);
              auto b = ring::split(lo, hi, kPartsLog2);
              for (size_t i = 0; i < mine.size(); ++i) {
                if (mine[i] == s->parts[i] || b[i] == b[i + 1]) continue;
                uint64_t n = mine[i].count + s->parts[i].count;
                // Descend while a part is big; a part too narrow to split further is listed.
                bool narrow = ring::shift_right(ring::sub(b[i + 1], b[i]), kPartsLog2).is_zero();
                if (n < kListBelow || narrow || depth >= 48)
                  self->list(b[i], b[i + 1]);
                else
                  self->summarize(b[i], b[i + 1], depth + 1);
              }
              self->end();
            });
}

void RangeSync::list(const Id256& lo, const Id256& hi) {
  begin();
  ++stats_.requests;
  auto self = shared_from_this();
  rpc_.call(peer_.addr, msg::ListKeys{lo, hi, kListLimit}, cfg_.rpc_timeout_ms,
            [self, lo, hi](Result<Message> r) {
              auto* k = r ? std::get_if<msg::KeyList>(&r->body) : nullptr;
              if (!k) {
                self->stats_.complete = false;
                return self->end();
              }
              // Their list stops at its last key when truncated: compare up to there only.
              Id256 upto = hi;
              if (k->truncated && !k->entries.empty()) upto = k->entries.back().key;
              bool sorted = true;
              for (auto& e : k->entries)
                if (!ring::in_half_open(e.key, lo, upto)) sorted = false;
              if (!sorted) {
                self->stats_.complete = false;
                return self->end();
              }
              bool trunc = false;
              auto mine = self->store_.list(lo, upto, SIZE_MAX, &trunc);
              self->compare(k->entries, mine);
              if (k->truncated && !k->entries.empty() && upto != hi) self->list(upto, hi);
              self->end();
            });
}

void RangeSync::compare(const std::vector<KeyEntry>& theirs, const std::vector<KeyEntry>& mine) {
  // Both lists are in ring order from the same start: index the smaller side by key.
  auto key_of = [](const KeyEntry& e) { return std::make_pair(e.key, e.kind); };
  std::map<std::pair<Id256, KeyKind>, const KeyEntry*> t;
  for (auto& e : theirs) t[key_of(e)] = &e;
  for (auto& e : mine) {
    auto it = t.find(key_of(e));
    if (it == t.end()) {
      // Claims the peer lacks, for a block it holds: sent even as a tombstone, which lets the
      // block go there (KeyTransfer::push sends no tombstone).
      bool block_there = e.kind == KeyKind::claims && t.count({e.key, KeyKind::block});
      transfer(e, block_there ? 3 : 1);
      continue;
    }
    if (it->second->fp != e.fp) transfer(e, 2);
    t.erase(it);
  }
  for (auto& [k, e] : t) transfer(*e, is_record_kind(e->kind) ? 2 : 0);
}

void RangeSync::transfer(const KeyEntry& e, int how) {
  begin();
  auto self = shared_from_this();
  queue_.push([self, e, how](std::function<void()> finished) {
    auto done = [self, e, how, finished](Status st) {
      if (!st) {
        ++self->stats_.failed;
        if (st.code() == Errc::no_space) ++self->stats_.refused_full;
        if (how != 0) self->stats_.unplaced.push_back(e);
      } else {
        ++(how == 0 ? self->stats_.pulled : how == 2 ? self->stats_.merged : self->stats_.pushed);
      }
      finished();
      self->end();
    };
    if (how == 0)
      KeyTransfer::pull(self->rpc_, self->store_, self->cfg_, self->peer_, e, done);
    else if (how == 1)
      KeyTransfer::push(self->rpc_, self->store_, self->cfg_, self->peer_, e, done);
    else if (how == 2)
      KeyTransfer::exchange_records(self->rpc_, self->store_, self->cfg_, self->peer_, e, done);
    else
      KeyTransfer::send_records(self->rpc_, self->store_, self->cfg_, self->peer_, e, done);
  });
}

}  // namespace peerstore
