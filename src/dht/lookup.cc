#include "dht/lookup.h"

#include <algorithm>

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
  auto nodes = routing_.closest_preceding(key_, 8 + failed_.size() + liars_.size());
  // Nearest before the key first: the likeliest to know its successors. The nodes that timed
  // out are among them although the routing table dropped them meanwhile.
  auto known = routing_.known();
  known.insert(known.end(), timed_out_.begin(), timed_out_.end());
  std::sort(known.begin(), known.end(), [&](const NodeRef& a, const NodeRef& b) {
    return ring::distance(a.id, key_) < ring::distance(b.id, key_);
  });
  // The last restart asks again the nodes that only failed to answer (a timeout under load, a
  // lost packet): failing once is no proof of death, and without them a node that knows little
  // but a liar before the key (one that just joined) would ask nobody but the liar.
  bool last = attempt_ + 1 >= cfg_.lookup_attempts;
  auto take = [&](const std::vector<NodeRef>& from, bool retry_failed) {
    for (auto& n : from)
      if (cands_.size() < 8 && !liars_.count(n.addr) && (retry_failed || !failed_.count(n.addr)))
        add(n, false);
  };
  // A restart prefers nodes that have not failed this lookup yet.
  take(nodes, last);
  // Every node we know before the key failed (a node right before it that lies, say): any other
  // node we know may still know the key's successors, from wherever it sits. The last restart
  // asks them too: the few before the key may be the ones that failed.
  if (cands_.empty() || last) take(known, last);
  // Every node we know failed once: ask them again rather than give up early.
  if (cands_.empty() && !last) {
    take(nodes, true);
    take(known, true);
  }
}

void Lookup::add(const NodeRef& n, bool seed) {
  if (n.empty()) return;
  // A node that lied once in this lookup is not asked again, whoever names it.
  if (!seed && liars_.count(n.addr)) return;
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
      if (!c.seed && timed_out_.size() < 16) timed_out_.push_back(c.node);
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
    liars_.insert(c.node.addr);
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
        // A successor that does not answer in time may be alive but slow, or just crashed
        // while the namer's list is a stabilize round behind: no proof of a lie, so the namer
        // may be asked again by a restart. Another node at the address, or nobody at any of
        // the addresses named, is proof.
        const NodeRef& namer = self->cands_[idx].node;
        self->last_error_ = namer.str() + " named successors that are not there";
        if (r.code() == Errc::timeout)
          self->failed_.insert(namer.addr);
        else
          self->liars_.insert(namer.addr);
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
