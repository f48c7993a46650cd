#include "dht/routing_table.h"

#include <algorithm>

#include "dht/ring.h"

namespace peerstore {

RoutingTable::RoutingTable(NodeRef self, const ChordConfig& cfg)
    : self_(std::move(self)), cfg_(cfg) {}

std::vector<NodeRef> RoutingTable::successor_list(const NodeRef& first,
                                                  const std::vector<NodeRef>& rest, bool* wrapped,
                                                  std::vector<NodeRef>* unproven) const {
  std::vector<NodeRef> out;
  *wrapped = false;
  bool cut = false;  // at an entry we cannot take: unproven, or out of order
  auto add = [&](const NodeRef& n) {
    if (out.size() >= cfg_.successors) return false;
    if (n.id == self_.id) {  // came back around
      *wrapped = true;
      return false;
    }
    // Keep the list ordered: each entry strictly after the previous one, before self.
    if (!out.empty() && !ring::in_open(n.id, out.back().id, self_.id)) return !(cut = true);
    out.push_back(n);
    return true;
  };
  if (!add(first)) return out;
  for (auto& n : rest) {
    if (n.id != self_.id && !proven(n)) {
      if (unproven) unproven->push_back(n);
      cut = true;
      break;
    }
    if (!add(n)) break;
  }
  // What we knew and verified before beats a list we cannot check: go on with our own entries
  // past the last one taken (they were checked when they entered the list).
  if (cut && !*wrapped)
    for (auto& n : succs_)
      if (ring::in_open(n.id, out.back().id, self_.id) && !add(n)) break;
  return out;
}

void RoutingTable::set_successors(std::vector<NodeRef> list, bool wrapped) {
  whole_ring_ = wrapped;
  succs_ = std::move(list);
}

bool RoutingTable::remove_successor(const Id256& id) {
  auto it =
      std::find_if(succs_.begin(), succs_.end(), [&](const NodeRef& n) { return n.id == id; });
  if (it == succs_.end()) return false;
  succs_.erase(it);
  return true;
}

void RoutingTable::set_predecessor(std::optional<NodeRef> pred) {
  if (pred && pred->id == self_.id) pred.reset();
  pred_ = std::move(pred);
  preds_.clear();
  if (pred_) preds_.push_back(*pred_);
}

void RoutingTable::set_predecessors(const NodeRef& pred, const std::vector<NodeRef>& its_preds,
                                    std::vector<NodeRef>* unproven) {
  preds_.clear();
  preds_.push_back(pred);
  for (auto& n : its_preds) {
    if (preds_.size() >= cfg_.replicas) break;
    if (n.id == self_.id) break;
    if (!proven(n)) {
      if (unproven) unproven->push_back(n);
      break;
    }
    // Ordered: each one strictly before the previous, after self.
    if (!ring::in_open(n.id, self_.id, preds_.back().id)) break;
    preds_.push_back(n);
  }
}

void RoutingTable::note_seen(const NodeRef& n) {
  if (n.id == self_.id || n.empty()) return;
  if (!dropped_.empty()) forget_dropped(n.id);
  if (!cache_.empty() && cache_.back().id == n.id && cache_.back().addr == n.addr) return;
  // One entry per node and per address (an address that now names another id replaces it).
  std::erase_if(cache_, [&](const NodeRef& c) { return c.addr == n.addr || c.id == n.id; });
  cache_.push_back(n);
  if (cache_.size() > cfg_.cache_size) cache_.erase(cache_.begin());
}

void RoutingTable::note_proven(const NodeRef& n) {
  if (n.empty()) return;
  // Bounded: forgetting costs only a ping to prove a node again.
  if (proven_.size() >= 16 * 1024 && !proven_.count(n.addr)) proven_.clear();
  proven_[n.addr] = n.id;
}

bool RoutingTable::proven(const NodeRef& n) const {
  if (n.id == self_.id) return n.addr == self_.addr;
  auto it = proven_.find(n.addr);
  return it != proven_.end() && it->second == n.id;
}

bool RoutingTable::heard_within(const std::string& addr, int64_t now, int64_t window_ms) const {
  auto it = heard_.find(addr);
  return it != heard_.end() && now - it->second <= window_ms;
}

void RoutingTable::note_failed(const NodeRef& n, int64_t now) {
  if (n.id == self_.id || heard_within(n.addr, now, cfg_.stabilize_ms)) return;
  for (auto& f : fingers_)
    if (f.id == n.id) f = NodeRef{};
  std::erase_if(cache_, [&](const NodeRef& c) { return c.id == n.id; });
  add_dropped(n, now);
}

void RoutingTable::forget(const Id256& id) {
  for (auto& f : fingers_)
    if (f.id == id) f = NodeRef{};
  std::erase_if(cache_, [&](const NodeRef& c) { return c.id == id; });
  remove_successor(id);
  if (pred_ && pred_->id == id) set_predecessor(std::nullopt);
  std::erase_if(preds_, [&](const NodeRef& c) { return c.id == id; });
  forget_dropped(id);
}

void RoutingTable::add_dropped(const NodeRef& n, int64_t now) {
  if (n.id == self_.id || n.empty()) return;
  for (auto& d : dropped_)
    if (d.node.id == n.id) return;
  if (dropped_.size() >= cfg_.dropped_size) dropped_.erase(dropped_.begin());
  dropped_.push_back(Dropped{n, now, now + cfg_.probe_ms, 0});
}

void RoutingTable::forget_dropped(const Id256& id) {
  std::erase_if(dropped_, [&](const Dropped& d) { return d.node.id == id; });
}

std::optional<std::vector<NodeRef>> RoutingTable::resolve(const Id256& key, size_t want) const {
  // An empty list is the whole ring only when we are alone; a node that lost every successor
  // knows nothing of the key's successors and must not claim them.
  if (succs_.empty())
    return whole_ring_ ? std::optional(std::vector<NodeRef>{self_}) : std::nullopt;
  size_t n = succs_.size();
  auto from = [&](size_t i) {
    // succs_[i..], then (when the list holds the whole ring) self and the rest, circularly.
    std::vector<NodeRef> out(succs_.begin() + i, succs_.end());
    if (whole_ring_) {
      out.push_back(self_);
      out.insert(out.end(), succs_.begin(), succs_.begin() + i);
    }
    return out;
  };
  if (ring::in_half_open(key, self_.id, succs_[0].id)) return from(0);
  for (size_t i = 1; i < n; ++i) {
    if (ring::in_half_open(key, succs_[i - 1].id, succs_[i].id)) {
      if (n - i >= want || whole_ring_) return from(i);
      return std::nullopt;
    }
  }
  if (whole_ring_) {  // key in (last successor, self]
    std::vector<NodeRef> out{self_};
    out.insert(out.end(), succs_.begin(), succs_.end());
    return out;
  }
  return std::nullopt;
}

std::vector<NodeRef> RoutingTable::closest_preceding(const Id256& key, size_t count) const {
  std::vector<std::pair<Id256, const NodeRef*>> c;  // (distance to key, node)
  c.reserve(64);
  auto consider = [&](const NodeRef& n) {
    if (n.empty() || !ring::in_open(n.id, self_.id, key)) return;
    c.emplace_back(ring::distance(n.id, key), &n);
  };
  const NodeRef* prev = nullptr;
  for (int i = 255; i >= 0; --i) {
    const NodeRef& f = fingers_[i];
    if (f.empty() || (prev && prev->id == f.id)) continue;
    prev = &f;
    consider(f);
  }
  for (auto& n : succs_) consider(n);
  for (auto& n : preds_) consider(n);
  for (auto& n : cache_) consider(n);
  std::sort(c.begin(), c.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<NodeRef> out;
  for (auto& [d, n] : c) {
    bool dup = false;
    for (auto& o : out) dup |= o.id == n->id || o.addr == n->addr;
    if (dup) continue;
    out.push_back(*n);
    if (out.size() == count) break;
  }
  return out;
}

std::vector<NodeRef> RoutingTable::known() const {
  std::vector<NodeRef> all;
  auto add = [&](const NodeRef& n) {
    if (n.empty() || n.id == self_.id) return;
    for (auto& a : all)
      if (a.id == n.id) return;
    all.push_back(n);
  };
  for (auto& n : succs_) add(n);
  for (auto& n : preds_) add(n);
  for (auto& f : fingers_) add(f);
  for (auto& n : cache_) add(n);
  return all;
}

}  // namespace peerstore
