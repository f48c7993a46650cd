// ChordNode: finding the ring again: confirming that a silent neighbour is gone, rejoining after
// every successor is gone, re-probing dropped nodes and merging the rings a healed partition
// leaves. Loop thread only, like the rest of ChordNode.
#include <algorithm>

#include "dht/chord_node.h"
#include "dht/ring.h"

namespace peerstore {

void ChordNode::confirm_gone(const NodeRef& n, std::function<void(bool gone)> done,
                             unsigned round) {
  // A neighbour that missed suspect_after rounds is pinged kGoneRounds times, kGoneWidth pings
  // at once each time, before it counts as gone. A burst of three pings one after the other
  // also fails for a live node once in ~150 under 10 % loss (19 % per round trip), and dropping
  // a live successor makes the ring skip it: the dropper's list, copied backwards by its
  // predecessors' stabilizations, answers lookups of its keys with the next node for seconds.
  // Pings sent together cost no time: a crash is still noticed after kGoneRounds timeouts
  // (at once when the connection is refused). With 3 rounds of 4, a live node loses all 12
  // round trips once in ~5e8 checks at 10 % loss; 3 rounds of 3 (~3e-7) still dropped one live
  // successor in 100 runs of the loss test, which makes ~1500 such checks a run.
  struct Round {
    unsigned left = kGoneWidth;
    bool answered = false;
  };
  auto r = std::make_shared<Round>();
  for (unsigned k = 0; k < kGoneWidth; ++k)
    rpc_.call(n.addr, msg::Ping{}, cfg_.rpc_timeout_ms,
              [this, n, r, done, round](Result<Message> res) {
                if (r->answered) return;
                if (res) {
                  r->answered = true;
                  return done(false);
                }
                if (--r->left > 0) return;
                if (round + 1 < kGoneRounds) return confirm_gone(n, done, round + 1);
                done(true);
              });
}

void ChordNode::rejoin() {
  // Every successor is gone. A lookup of our own id rarely finds our successor: the nodes
  // before us knew no more than we did (after a partition, the live node past the gap of dead
  // ones was in our list only), and the old lookup took whatever a seed answered. So take the
  // nearest node after us that answers and let stabilization walk back from it through
  // predecessors (as a join does): its predecessor, if closer, is adopted next, and so on.
  // Nodes we did not give up on come first (the dropped ones nearest after us are usually the
  // very successors we just lost), each group nearest after us first.
  auto nearest = [this](std::vector<NodeRef> v, size_t count) {
    std::sort(v.begin(), v.end(), [&](const NodeRef& a, const NodeRef& b) {
      return ring::distance(self_.id, a.id) < ring::distance(self_.id, b.id);
    });
    if (v.size() > count) v.resize(count);
    return v;
  };
  std::vector<NodeRef> dropped;
  for (auto& d : routing_.dropped()) dropped.push_back(d.node);
  std::vector<NodeRef> seeds = nearest(routing_.known(), 8);
  for (auto& n : nearest(std::move(dropped), 4)) seeds.push_back(n);
  if (seeds.empty()) return;
  ++stats_.rejoins;
  stabilizing_ = true;
  rejoin_through(std::move(seeds), 0);
}

void ChordNode::rejoin_through(std::vector<NodeRef> seeds, size_t i) {
  if (i >= seeds.size() || state_ != State::member || !routing_.successors().empty()) {
    stabilizing_ = false;
    return;
  }
  NodeRef n = seeds[i];
  adopt_successor(n, [this, seeds = std::move(seeds), i](bool adopted) mutable {
    if (adopted) {
      stabilizing_ = false;
      if (state_ == State::member) arm(kStabilize, 20);
      return;
    }
    rejoin_through(std::move(seeds), i + 1);
  });
}

void ChordNode::probe_dropped() {
  int64_t now = clock_.now_ms();
  std::erase_if(routing_.dropped(), [&](const RoutingTable::Dropped& d) {
    return now - d.since > cfg_.dropped_ttl_ms;
  });
  // The address we joined through is never forgotten: once a minute it is asked where our
  // successor is on its ring, so rings split for longer than the dropped-node TTL still merge.
  if (!bootstrap_.empty() && bootstrap_ != self_.addr && now >= next_bootstrap_probe_) {
    next_bootstrap_probe_ = now + cfg_.probe_ms * 30;
    rpc_.call(bootstrap_, msg::Ping{}, cfg_.rpc_timeout_ms, [this](Result<Message> r) {
      if (r && state_ == State::member && r->sender.addr == bootstrap_ && r->sender.id != self_.id)
        consider_merge(r->sender);
    });
  }
  unsigned probed = 0;
  for (auto& d : routing_.dropped()) {
    if (d.next_probe > now || probed >= 4) continue;
    ++probed;
    ++d.probes;
    d.next_probe = now + cfg_.probe_ms * (d.probes < 3 ? (int64_t(1) << d.probes) : 4);
    NodeRef n = d.node;
    rpc_.call(n.addr, msg::Ping{}, cfg_.rpc_timeout_ms, [this, n](Result<Message> r) {
      if (!r || state_ != State::member) return;
      routing_.forget_dropped(n.id);
      consider_merge(n);
    });
  }
}

void ChordNode::consider_merge(const NodeRef& n) {
  // A node we had given up on answers again. If it belongs between us and our successor, take it
  // (it answered, so Zave's rule allows it); otherwise it may be on another ring (a healed
  // partition): look our successor up on its ring and take that one if it is closer.
  if (routing_.successors().empty() || ring::in_open(n.id, self_.id, routing_.successor().id)) {
    ++stats_.merges;
    adopt_successor(n, [](bool) {});
    return;
  }
  Lookup::start(rpc_, routing_, clock_, cfg_, ring::add_u64(self_.id, 1), {n},
                [this](Result<Lookup::Outcome> r) {
                  if (!r || state_ != State::member) return;
                  NodeRef s = r->successors.front();
                  if (s.id == self_.id) return;
                  if (routing_.successors().empty() ||
                      ring::in_open(s.id, self_.id, routing_.successor().id)) {
                    ++stats_.merges;
                    adopt_successor(s, [](bool) {});
                  }
                });
}

}  // namespace peerstore
