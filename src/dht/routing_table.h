// RoutingTable: one Chord node's view of the ring: its successor list (Zave's r successors),
// predecessor and predecessor list, finger table, a cache of recently seen nodes, and the nodes
// it dropped as unreachable, which it keeps re-probing so that rings split by a partition find
// each other again. Pure state and ring queries, no I/O; ChordNode runs the protocol.
// Loop thread only.
#pragma once

#include <array>
#include <optional>
#include <unordered_map>
#include <vector>

#include "dht/chord_config.h"
#include "dht/node_ref.h"

namespace peerstore {

class RoutingTable {
 public:
  struct Dropped {
    NodeRef node;
    int64_t since = 0;
    int64_t next_probe = 0;
    unsigned probes = 0;
  };

  RoutingTable(NodeRef self, const ChordConfig& cfg);

  const NodeRef& self() const { return self_; }

  // Successor list in ring order, without this node; empty when the node is alone.
  const std::vector<NodeRef>& successors() const { return succs_; }
  const NodeRef& successor() const { return succs_.empty() ? self_ : succs_.front(); }
  // [first] + rest, cut where the list comes back around to this node (*wrapped: the list then
  // holds the whole ring) or stops being ordered, at most r long. Zave: a node's list is its
  // successor followed by the successor's list. Only entries of `rest` that proved their
  // identity to us are taken: at the first other one the list goes on with our current list
  // instead, and that entry goes to *unproven (the caller pings it, so it can be taken next
  // time). A peer that lies about its successors cannot fill our list with made-up nodes.
  std::vector<NodeRef> successor_list(const NodeRef& first, const std::vector<NodeRef>& rest,
                                      bool* wrapped,
                                      std::vector<NodeRef>* unproven = nullptr) const;
  void set_successors(std::vector<NodeRef> list, bool wrapped);
  bool whole_ring() const { return whole_ring_; }
  bool remove_successor(const Id256& id);

  const std::optional<NodeRef>& predecessor() const { return pred_; }
  void set_predecessor(std::optional<NodeRef> pred);
  // [pred, pred's pred, ...], at most `replicas` long, cut where it reaches this node or at the
  // first of `its_preds` that has not proved its identity (it goes to *unproven).
  const std::vector<NodeRef>& predecessors() const { return preds_; }
  void set_predecessors(const NodeRef& pred, const std::vector<NodeRef>& its_preds,
                        std::vector<NodeRef>* unproven = nullptr);

  const NodeRef& finger(unsigned i) const { return fingers_[i]; }
  void set_finger(unsigned i, const NodeRef& n) { fingers_[i] = n; }

  // A node answered us: cache it, and stop probing it as dropped.
  void note_seen(const NodeRef& n);
  // A message came from `n.addr` signed, so to speak, by `n.id`: the transport proves the
  // sender's id (see docs/dht.md), so the node at that address is `n.id`. Kept per address;
  // the newest id of an address wins.
  void note_proven(const NodeRef& n);
  bool proven(const NodeRef& n) const;
  // Any message arrived from this address.
  void note_heard(const std::string& addr, int64_t now) { heard_[addr] = now; }
  // Whether a message from this address arrived in the last `window_ms`: a missed answer from
  // such a node is more likely a lost message than a dead node.
  bool heard_within(const std::string& addr, int64_t now, int64_t window_ms) const;
  // A node did not answer: unless it was heard from lately, forget it as a finger or cache
  // entry and remember it as dropped.
  void note_failed(const NodeRef& n, int64_t now);
  // A node left cleanly: forget it everywhere.
  void forget(const Id256& id);
  void add_dropped(const NodeRef& n, int64_t now);
  void forget_dropped(const Id256& id);
  std::vector<Dropped>& dropped() { return dropped_; }
  const std::vector<Dropped>& dropped() const { return dropped_; }

  // If this node knows the key's successors (the key falls in its successor list, with at least
  // `want` of them left, or the list holds the whole ring), those successors; else nullopt. An
  // empty list is the whole ring only for a node that is alone, not for one that lost its list.
  std::optional<std::vector<NodeRef>> resolve(const Id256& key, size_t want) const;
  // Up to `count` known nodes in (self, key), closest to the key first.
  std::vector<NodeRef> closest_preceding(const Id256& key, size_t count) const;
  // Every distinct node this table mentions (successors, predecessors, fingers, cache).
  std::vector<NodeRef> known() const;

 private:
  NodeRef self_;
  const ChordConfig& cfg_;
  std::vector<NodeRef> succs_;
  bool whole_ring_ = false;
  std::optional<NodeRef> pred_;
  std::vector<NodeRef> preds_;
  std::array<NodeRef, 256> fingers_;
  std::vector<NodeRef> cache_;  // most recent last
  std::vector<Dropped> dropped_;
  std::unordered_map<std::string, int64_t> heard_;
  std::unordered_map<std::string, Id256> proven_;  // address -> the id proven there
};

}  // namespace peerstore
