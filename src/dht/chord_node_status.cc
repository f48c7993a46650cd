// ChordNode: what it reports about itself, and how, as the primary of its range, it knows which
// keys are below their replica target.
#include <algorithm>

#include "dht/chord_node.h"
#include "dht/ring.h"
#include "dht/ring_size.h"

namespace peerstore {

const char* ChordNode::state_name(State s) {
  switch (s) {
    case State::idle:
      return "idle";
    case State::joining:
      return "joining";
    case State::member:
      return "member";
    case State::leaving:
      return "leaving";
    case State::left:
      return "left";
  }
  return "unknown";
}

msg::NodeStatus ChordNode::status() const {
  msg::NodeStatus s;
  s.self = self_;
  s.state = state_name(state_);
  s.predecessor = routing_.predecessor();
  s.successors = routing_.successors();
  if (s.successors.size() > kMaxNodesPerMessage) s.successors.resize(kMaxNodesPerMessage);
  s.blocks = store_.blocks();
  s.head_sets = store_.head_sets();
  s.block_bytes = store_.block_bytes();
  // Keys of our range short of a copy, and writes of our own still short of their full count:
  // both are keys the ring holds fewer copies of than it should.
  s.below_target = below_target() + replicator_.pending();
  s.longest_short_ms = uint64_t(std::max<int64_t>(0, replicator_.stats().longest_short_ms));
  s.uptime_ms = uint64_t(clock_.now_ms() - started_ms_);
  if (auto room = store_.space()) {
    s.store_free = room->free;
    s.store_total = room->total;
  }
  s.reclaimable_bytes = release_.stats().waiting_bytes;
  s.released_blocks = release_.stats().released;
  if (host_facts_) host_facts_(s);
  return s;
}

std::vector<NodeRef> ChordNode::fingers() const {
  std::vector<NodeRef> out;
  for (unsigned i = 0; i < 256; ++i) {
    const NodeRef& f = routing_.finger(i);
    if (f.empty() || f.id == self_.id) continue;
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  }
  return out;
}

double ChordNode::ring_size_estimate() const {
  return estimate_ring_size(self_.id, routing_.successors(), cfg_.successors);
}

void ChordNode::record_check(const NodeRef& replica, const Id256& lo, const Id256& hi,
                             const RangeSync::Stats& st) {
  // A session that ends after its peer left our replica set tells nothing about our range now.
  if (std::find(last_replica_set_.begin(), last_replica_set_.end(), replica.id) ==
      last_replica_set_.end())
    return;
  ReplicaCheck& c = checks_[replica.id];
  c = ReplicaCheck{lo, hi, st.complete, {}};
  for (auto& e : st.unplaced) c.lacking.emplace(e.key, e.kind);
}

uint64_t ChordNode::below_target() const {
  if (state_ != State::member) return 0;
  std::vector<const ReplicaCheck*> replicas;  // nullptr: no complete session since it became one
  bool unknown = false;
  for (auto& n : routing_.successors()) {
    if (replicas.size() + 1 >= cfg_.replicas) break;
    auto it = checks_.find(n.id);
    replicas.push_back(it == checks_.end() || !it->second.complete ? nullptr : &it->second);
    unknown |= !replicas.back();
  }
  // Fewer members than copies: no key of ours can be at its target.
  bool short_ring = replicas.size() + 1 < cfg_.replicas;
  auto pred = routing_.predecessor();
  if (!pred) return short_ring ? store_.size() : 0;  // our range is unknown until a pred shows
  uint64_t n = 0;
  store_.for_range(pred->id, self_.id, [&](const KeyEntry& e) {
    bool below = short_ring || unknown;
    for (size_t i = 0; i < replicas.size() && !below; ++i)
      below = !ring::in_half_open(e.key, replicas[i]->lo, replicas[i]->hi) ||
              replicas[i]->lacking.count({e.key, e.kind});
    n += below;
    return true;
  });
  return n;
}

}  // namespace peerstore
