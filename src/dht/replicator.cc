#include "dht/replicator.h"

#include <algorithm>

#include "common/log.h"

namespace peerstore {

struct Replicator::Write {
  uint64_t id = 0;
  Id256 key;
  std::shared_ptr<const Body> request;  // shared by the calls to every replica
  std::function<void(Status)> done;     // until reported
  bool reported = false;
  size_t need = 0;         // acknowledgements for the caller's success
  int64_t quorum_ms = -1;  // when it reached quorum
  int64_t backoff_ms = 0;
  std::vector<NodeRef> target;  // the replica set of the current round
  uint64_t rounds = 0;
  std::set<Id256> acked;  // nodes that hold it (acknowledged a put)
  // Replicas that refused it for want of space, and the successors past the replica set that
  // stand in for them (asked of the last replica once one refused).
  std::set<Id256> full;
  std::vector<NodeRef> spares;
  bool spares_asked = false;
  size_t outstanding = 0;  // calls of the current round not answered yet
  Error last;
  size_t bytes = 0;      // of the request's payload
  bool counted = false;  // in short_bytes_

  size_t acked_in_target() const {
    size_t n = 0;
    for (auto& t : target) n += acked.count(t.id);
    return n;
  }
};

namespace {

size_t payload_bytes(const Body& b) {
  if (auto* p = std::get_if<msg::PutBlock>(&b)) return p->data.size();
  size_t n = 0;
  if (auto* h = std::get_if<msg::PutHeads>(&b))
    for (auto& x : h->heads) n += x.size();
  return n;
}

}  // namespace

Replicator::Replicator(Rpc& rpc, Clock& clock, const ChordConfig& cfg, FindReplicas find,
                       ExpectedCopies expected)
    : rpc_(rpc), clock_(clock), cfg_(cfg), find_(std::move(find)), expected_(std::move(expected)) {}

Replicator::~Replicator() {
  for (auto t : timers_) clock_.cancel(t);
}

void Replicator::write(const Id256& key, Body request, const std::vector<NodeRef>& replicas,
                       std::function<void(Status)> done) {
  auto w = std::make_shared<Write>();
  w->id = next_id_++;
  w->key = key;
  w->request = std::make_shared<const Body>(std::move(request));
  w->bytes = payload_bytes(*w->request);
  w->done = std::move(done);
  std::vector<NodeRef> set;
  for (auto& n : replicas)
    if (!excluded_ || n.id != *excluded_) set.push_back(n);
  w->need = std::min<size_t>(cfg_.write_quorum, set.size());
  if (set.empty()) {
    rpc_.defer([done = std::move(w->done)] {
      done(fail(Errc::unavailable, "write reached no replica: the ring has no other node"));
    });
    return;
  }
  writes_[w->id] = w;
  send_round(w, set);
}

void Replicator::send_round(const std::shared_ptr<Write>& w, const std::vector<NodeRef>& replicas) {
  // A replica whose store is full refused it (no_space, docs/dht.md: Routing around a full
  // node): the next successors past the replica set stand in for it. They are asked of the last
  // replica once, the first time one is needed.
  if (!w->full.empty() && !w->spares_asked && !replicas.empty()) {
    w->spares_asked = true;
    std::weak_ptr<char> alive = alive_;
    rpc_.call(replicas.back().addr, msg::GetNeighbors{}, cfg_.transfer_timeout_ms,
              [this, alive, w, replicas](Result<Message> r) {
                if (alive.expired()) return;
                if (r)
                  if (auto* nb = std::get_if<msg::Neighbors>(&r->body)) w->spares = nb->succs;
                send_round(w, replicas);
              });
    return;
  }
  w->target.clear();
  std::vector<NodeRef> to_send;
  std::vector<NodeRef> candidates = replicas;
  candidates.insert(candidates.end(), w->spares.begin(), w->spares.end());
  for (auto& n : candidates) {
    if (excluded_ && n.id == *excluded_) continue;
    if (w->full.count(n.id)) continue;
    if (w->target.size() >= cfg_.replicas) break;
    bool seen = false;
    for (auto& t : w->target) seen = seen || t.id == n.id;
    if (seen) continue;
    w->target.push_back(n);
    if (!w->acked.count(n.id)) to_send.push_back(n);
  }
  ++w->rounds;
  if (to_send.empty()) return round_over(w);
  w->outstanding = to_send.size();
  std::weak_ptr<char> alive = alive_;
  for (auto& n : to_send) {
    rpc_.call(
        n.addr, w->request, cfg_.transfer_timeout_ms,
        [this, alive, w, n](Result<Message> r) {
          if (alive.expired()) return;
          --w->outstanding;
          if (r && !(excluded_ && n.id == *excluded_))
            w->acked.insert(n.id);
          else if (!r)
            w->last = fail(r.error().code, n.str() + ": " + r.error().context);
          // Only a block goes to a stand-in: a full node still takes records from its reserve.
          if (!r && r.error().code == Errc::no_space &&
              std::holds_alternative<msg::PutBlock>(*w->request))
            w->full.insert(n.id);
          if (!w->reported && w->acked_in_target() >= w->need &&
              (short_bytes_ < kMaxShortBytes || w->acked_in_target() == w->target.size()))
            report_success(w);
          if (w->outstanding == 0) round_over(w);
        },
        cfg_.store_attempts);
  }
}

void Replicator::report_success(const std::shared_ptr<Write>& w) {
  w->reported = true;
  w->quorum_ms = clock_.now_ms();
  ++stats_.writes;
  short_bytes_ += w->bytes;
  w->counted = true;
  auto done = std::move(w->done);
  w->done = nullptr;
  done({});
}

void Replicator::round_over(const std::shared_ptr<Write>& w) {
  // Held back by kMaxShortBytes: the round is over, so the caller hears now.
  if (!w->reported && w->acked_in_target() >= w->need) report_success(w);
  if (!w->reported && !w->full.empty() && !w->spares_asked) {
    // Replicas refused it for want of space: their stand-ins get a round before the caller
    // hears of a failure.
    std::vector<NodeRef> replicas = w->target;
    return send_round(w, replicas);
  }
  if (!w->reported) {
    // Too few replicas could take it: the caller hears why and keeps the data to try again.
    w->reported = true;
    Errc code = w->last.code == Errc::corrupt ? Errc::corrupt : Errc::unavailable;
    auto done = std::move(w->done);
    w->done = nullptr;
    std::string why = "write reached " + std::to_string(w->acked_in_target()) + " of " +
                      std::to_string(w->need) + " replicas needed (" + w->last.message() + ")";
    finish(w->id);
    done(fail(code, why));
    return;
  }
  size_t expected = std::min<size_t>(cfg_.replicas, expected_ ? expected_() : cfg_.replicas);
  if (!w->target.empty() && w->target.size() >= expected &&
      w->acked_in_target() >= w->target.size()) {
    ++stats_.full;
    stats_.longest_short_ms = std::max(stats_.longest_short_ms, clock_.now_ms() - w->quorum_ms);
    return finish(w->id);
  }
  retry_later(w);
}

void Replicator::retry_later(const std::shared_ptr<Write>& w) {
  if (clock_.now_ms() - w->quorum_ms > kMaxShortMs) {
    ++stats_.abandoned;
    log::warn("dht: key " + w->key.short_hex() + " has stayed at " +
              std::to_string(w->acked_in_target()) + " copies for " +
              std::to_string(kMaxShortMs / 60000) + " minutes; leaving it to repair");
    return finish(w->id);
  }
  // 200 ms, then doubling up to a repair period: a replica that timed out is usually one that
  // died, and the ring takes a few stabilizations to route around it.
  w->backoff_ms = std::clamp<int64_t>(w->backoff_ms * 2, 200, cfg_.repair_ms);
  std::weak_ptr<char> alive = alive_;
  auto timer = std::make_shared<Clock::TimerId>(0);
  *timer = clock_.schedule(w->backoff_ms, [this, alive, w, timer] {
    if (alive.expired()) return;
    timers_.erase(*timer);
    ++stats_.resends;
    find_(w->key, [this, alive, w](Result<std::vector<NodeRef>> r) {
      if (alive.expired()) return;
      if (!r || r->empty()) return retry_later(w);
      send_round(w, *r);
    });
  });
  timers_.insert(*timer);
}

void Replicator::finish(uint64_t id) {
  auto it = writes_.find(id);
  if (it == writes_.end()) return;
  if (it->second->counted) short_bytes_ -= it->second->bytes;
  writes_.erase(it);
  if (!writes_.empty() || drained_.empty()) return;
  auto waiting = std::move(drained_);
  drained_.clear();
  for (auto& d : waiting) d();
}

void Replicator::drain(std::function<void()> done) {
  if (writes_.empty()) return rpc_.defer(std::move(done));
  drained_.push_back(std::move(done));
}

std::string Replicator::describe_pending(size_t max) const {
  std::string out;
  size_t expected = std::min<size_t>(cfg_.replicas, expected_ ? expected_() : cfg_.replicas);
  for (auto& [id, w] : writes_) {
    if (max-- == 0) break;
    if (!out.empty()) out += "; ";
    out += "key " + w->key.short_hex() + ": " + std::to_string(w->acked_in_target()) + " of " +
           std::to_string(expected) + " copies after " + std::to_string(w->rounds) + " rounds";
    std::string missing;
    for (auto& t : w->target)
      if (!w->acked.count(t.id)) missing += (missing.empty() ? "" : ", ") + t.str();
    if (!missing.empty()) out += ", not acknowledged by " + missing;
    if (w->target.size() < expected)
      out += ", the last lookup named " + std::to_string(w->target.size()) + " replicas";
    if (w->last.code != Errc::ok) out += " (last error: " + w->last.message() + ")";
  }
  return out;
}

void Replicator::exclude(const Id256& self) {
  excluded_ = self;
  for (auto& [id, w] : writes_) w->acked.erase(self);
}

}  // namespace peerstore
