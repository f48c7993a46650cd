#include "dht/lookup.h"

#include "dht/ring.h"

namespace peerstore {

void Lookup::start(Rpc& rpc, RoutingTable& routing, Clock& clock, const ChordConfig& cfg,
                   const Id256& key, std::vector<NodeRef> seeds, Done done) {
  auto l =
      std::make_shared<Lookup>(rpc, routing, clock, cfg, key, std::move(seeds), std::move(done));
  if (l->seeds_.empty()) {
    if (auto local = routing.resolve(key, cfg.replicas)) {
      // Answered from this node's own successor list: zero hops, still never synchronous.
      rpc.defer([l, local = std::move(*local)]() mutable {
        Outcome o;
        o.successors = std::move(local);
        l->finish(std::move(o));
      });
      return;
    }
  }
  l->fill();
  l->step();
}

Lookup::Lookup(Rpc& rpc, RoutingTable& routing, Clock& clock, const ChordConfig& cfg,
               const Id256& key, std::vector<NodeRef> seeds, Done done)
    : rpc_(rpc),
      routing_(routing),
      clock_(clock),
      cfg_(cfg),
      key_(key),
      seeds_(std::move(seeds)),
      done_(std::move(done)) {}

void Lookup::fill() {
  cands_.clear();
  if (!seeds_.empty()) {
    for (auto& s : seeds_) add(s, true);
    return;
  }
  // A restart prefers nodes that have not failed this lookup yet.
  auto nodes = routing_.closest_preceding(key_, 8 + failed_.size());
  for (auto& n : nodes)
    if (!failed_.count(n.addr) && cands_.size() < 8) add(n, false);
  // Every node we know before the key failed (a node right before it that lies, say): any other
  // node we know may still know the key's successors, from wherever it sits.
  if (cands_.empty())
    for (auto& n : routing_.known())
      if (!failed_.count(n.addr) && cands_.size() < 8) add(n, false);
  if (cands_.empty())
    for (auto& n : nodes) add(n, false);
}

void Lookup::add(const NodeRef& n, bool seed) {
  if (n.empty()) return;
  for (auto& c : cands_)
    if (c.node.addr == n.addr) return;
  cands_.push_back(Candidate{n, seed, false});
}

void Lookup::step() {
  if (out_.hops >= cfg_.lookup_max_queries) {
    finish(fail(Errc::unavailable, "lookup of " + key_.short_hex() + " gave up after " +
                                       std::to_string(out_.hops) + " queries"));
    return;
  }
  // Seeds first (in the order given), then the candidate closest to the key.
  int best = -1;
  for (size_t i = 0; i < cands_.size(); ++i) {
    auto& c = cands_[i];
    if (c.asked) continue;
    if (best < 0) {
      best = int(i);
      continue;
    }
    auto& b = cands_[best];
    if (b.seed) continue;
    if (c.seed || ring::distance(c.node.id, key_) < ring::distance(b.node.id, key_)) best = int(i);
  }
  if (best < 0) {
    if (++attempt_ < cfg_.lookup_attempts) {
      fill();
      if (!cands_.empty()) {
        step();
        return;
      }
    }
    // Nodes of another network refused us and none of ours answered: say that, not "no node".
    if (refused_) return finish(*refused_);
    finish(fail(Errc::unavailable, "lookup of " + key_.short_hex() + " found no live node" +
                                       (last_error_.empty() ? "" : " (" + last_error_ + ")")));
    return;
  }
  cands_[best].asked = true;
  ++out_.hops;
  auto self = shared_from_this();
  size_t idx = size_t(best);
  rpc_.call(cands_[idx].node.addr, msg::Find{key_}, cfg_.hop_timeout_ms,
            [self, idx](Result<Message> r) { self->on_answer(idx, std::move(r)); });
}

void Lookup::on_answer(size_t idx, Result<Message> r) {
  Candidate c = cands_[idx];
  if (!r) {
    failed_.insert(c.node.addr);
    if (r.code() == Errc::timeout) {
      ++out_.timeouts;
      if (!c.seed) routing_.note_failed(c.node, clock_.now_ms());
    }
    last_error_ = r.error().message();
    if (r.code() == Errc::permission) refused_ = r.error();
    step();
    return;
  }
  auto* f = std::get_if<msg::Found>(&r->body);
  if (!f || (!c.seed && r->sender.id != c.node.id)) {
    // Another node at the address we were given for this one: whoever named it was wrong.
    last_error_ = f ? "a node other than " + c.node.str() + " answered" : "unexpected answer";
    failed_.insert(c.node.addr);
    step();
    return;
  }
  Id256 from = r->sender.id;
  if (f->done) {
    // Sanity: the key must fall between the node that answered and the successor it names. A
    // node we chose because it precedes the key cannot itself be the key's successor (we would
    // come first); only a seed, whose place we do not know, may say so.
    if (!f->nodes.empty() && (c.seed || (f->nodes.front().id != from &&
                                         ring::in_half_open(key_, from, f->nodes.front().id)))) {
      if (c.seed || routing_.proven(f->nodes.front())) {
        out_.successors = std::move(f->nodes);
        finish(std::move(out_));
      } else {
        verify(idx, std::move(f->nodes));
      }
      return;
    }
    last_error_ = "inconsistent answer from " + r->sender.str();
    failed_.insert(c.node.addr);
    step();
    return;
  }
  for (auto& n : f->nodes) {
    if (!seeds_.empty() && n.id == routing_.self().id) continue;
    // Only nodes strictly closer to the key than the one that answered: every hop progresses.
    if (ring::in_open(n.id, from, key_)) add(n, false);
  }
  step();
}

void Lookup::verify(size_t idx, std::vector<NodeRef> successors, size_t at) {
  // The successor named is one we have never heard from: ask it before believing the node that
  // named it, which may have made it up (a made-up id, or an address where another node or
  // nobody answers). A lie costs this lookup a round trip per entry and the liar, nothing else.
  // An honest node may name a successor that just died (its list is a stabilize round behind):
  // when the connection to it is refused, the next entry that answers is the key's successor,
  // as in Chord's successor lists. The ping is sent up to kVerifyAttempts times: a lost one
  // would blame an honest node, and under 10 % loss 19 % of pings go unanswered (seed 1042 of
  // the loss test lost two in a row for one key, blamed both nodes that knew its successor,
  // and the lookup gave up after 48 queries).
  auto self = shared_from_this();
  NodeRef next = successors.at(at);
  rpc_.call(
      next.addr, msg::Ping{}, cfg_.hop_timeout_ms,
      [self, idx, next, at, successors = std::move(successors)](Result<Message> r) mutable {
        if (r && r->sender.id == next.id) {
          successors.erase(successors.begin(), successors.begin() + long(at));
          self->out_.successors = std::move(successors);
          return self->finish(std::move(self->out_));
        }
        // Only a refused connection says the node is gone; a lost ping (a timeout) does
        // not, and skipping a live successor would give a wrong answer.
        if (r.code() == Errc::unavailable && at + 1 < std::min(successors.size(), kMaxVerified))
          return self->verify(idx, std::move(successors), at + 1);
        const NodeRef& liar = self->cands_[idx].node;
        self->last_error_ = liar.str() + " named successors that are not there";
        self->failed_.insert(liar.addr);
        self->step();
      },
      kVerifyAttempts);
}

void Lookup::finish(Result<Outcome> r) {
  Done d = std::move(done_);
  done_ = nullptr;
  if (d) d(std::move(r));
}

}  // namespace peerstore
