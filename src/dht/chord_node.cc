// ChordNode: lifecycle and ring maintenance (join, stabilize, rectify, predecessor checks,
// fingers, leave). Finding the ring again (rejoin, dropped nodes, merges) is in
// chord_node_heal.cc.
#include "dht/chord_node.h"

#include <algorithm>

#include "common/log.h"
#include "dht/handshake.h"
#include "dht/ring.h"

namespace peerstore {

ChordNode::ChordNode(Transport& transport, Clock& clock, LocalStore& store, DiskQueue& disk,
                     const Id256& id, ChordConfig cfg)
    : transport_(transport),
      clock_(clock),
      cfg_(cfg),
      self_{id, transport.address()},
      rng_(cfg.rng_seed ^ ring::top_u64(id)),
      routing_(self_, cfg_),
      store_(store, disk),
      release_(store_, cfg_.release_grace_ms, cfg_.lone_release_grace_ms),
      started_ms_(clock.now_ms()),
      rpc_(transport, clock, self_),
      replicator_(
          rpc_, clock, cfg_,
          [this](const Id256& key, auto done) {
            lookup(key, [this, done](Result<Lookup::Outcome> r) {
              if (!r) return done(r.error());
              done(replicas_of(r->successors));
            });
          },
          [this] { return copies_possible(); }) {
  release_.set_tombstone_horizon(cfg_.tombstone_ms, cfg_.lone_tombstone_ms);
  handoff_cursor_ = id;
  rpc_.set_handler([this](const std::string& from, Message m) { on_request(from, std::move(m)); });
  rpc_.set_observer([this](const std::string& from, const NodeRef& sender, bool response) {
    // Only a sender that names the address it wrote from is who it says (the transport proves
    // its id).
    bool at_home = sender.addr == from && state_ != State::left;
    if (at_home) routing_.note_proven(sender);
    // Any other node, even one that only asks, ends this node's being alone for good (its
    // releases take the full grace from then on); a client (the CLI) does not.
    if (sender.id != self_.id && !from.starts_with(kClientAddressPrefix)) lone_ = false;
    // Only answers are signs of life: a node that sends requests but answers none would pass
    // for alive forever, and stay a predecessor, a successor or a lookup candidate.
    if (!response) return;
    routing_.note_heard(from, clock_.now_ms());
    if (at_home) routing_.note_seen(sender);
  });
}

ChordNode::~ChordNode() {
  stop_timers();
  for (auto t : retry_timers_) clock_.cancel(t);
}

void ChordNode::stop_timers() {
  for (auto& t : timers_) {
    if (t) clock_.cancel(t);
    t = 0;
  }
  if (leave_deadline_) clock_.cancel(leave_deadline_);
  leave_deadline_ = 0;
}

int64_t ChordNode::jitter(int64_t period) {
  int64_t spread = std::max<int64_t>(1, period / 10);
  return period - spread + int64_t(rng_() % uint64_t(2 * spread + 1));
}

int64_t ChordNode::release_period() const {
  return lone_ ? std::min(cfg_.release_ms, cfg_.lone_release_ms) : cfg_.release_ms;
}

void ChordNode::arm(Task t, int64_t delay_ms) {
  if (timers_[t]) clock_.cancel(timers_[t]);
  timers_[t] = clock_.schedule(delay_ms, [this, t] {
    timers_[t] = 0;
    run_task(t);
  });
}

void ChordNode::run_task(Task t) {
  // A leaving node still stabilizes: its writes and handoff are addressed from its successor
  // list, which must learn of nodes that leave or die meanwhile (their Leaving goes to their own
  // neighbours only). Nothing else runs once it has begun to leave.
  if (state_ != State::member && !(state_ == State::leaving && t == kStabilize)) return;
  switch (t) {
    case kStabilize:
      arm(t, jitter(cfg_.stabilize_ms));
      stabilize();
      break;
    case kCheckPred:
      arm(t, jitter(cfg_.check_predecessor_ms));
      check_predecessor();
      break;
    case kFixFingers:
      arm(t, jitter(cfg_.fix_fingers_ms));
      fix_fingers();
      break;
    case kProbe:
      arm(t, jitter(cfg_.probe_ms));
      probe_dropped();
      break;
    case kRepair:
      arm(t, jitter(cfg_.repair_ms));
      repair();
      break;
    case kHandoff:
      arm(t, jitter(cfg_.handoff_ms));
      handoff();
      break;
    case kWatch:
      arm(t, HeadWatch::kRenewMs);  // no jitter: renewals are few and need no spreading
      renew_watches();
      break;
    case kRelease:
      arm(t, jitter(release_period()));
      release_.sweep(clock_.now_ms(), lone_);
      break;
    case kTaskCount:
      break;
  }
}

void ChordNode::create() {
  lone_ = true;
  routing_.set_successors({}, true);
  routing_.set_predecessor(std::nullopt);
  become_member();
}

void ChordNode::become_member() {
  state_ = State::member;
  // Start every task at a random point of its period so nodes do not run in lockstep.
  arm(kStabilize, 0);
  arm(kCheckPred, int64_t(rng_() % uint64_t(cfg_.check_predecessor_ms)));
  arm(kFixFingers, int64_t(rng_() % uint64_t(cfg_.fix_fingers_ms)));
  arm(kProbe, int64_t(rng_() % uint64_t(cfg_.probe_ms)));
  next_bootstrap_probe_ = clock_.now_ms() + cfg_.probe_ms * 30;
  arm(kRepair, int64_t(rng_() % uint64_t(cfg_.repair_ms)));
  arm(kHandoff, cfg_.handoff_ms / 2 + int64_t(rng_() % uint64_t(cfg_.handoff_ms)));
  arm(kWatch, 0);
  // A lone node's first sweep comes within its short period too: at a random point of the full
  // one, it held a mount's deleted blocks up to a minute longer than its grace.
  arm(kRelease, int64_t(rng_() % uint64_t(release_period())));
}

// ---- join ----

void ChordNode::join(const std::string& bootstrap, std::function<void(Status)> done) {
  if (state_ != State::idle) {
    rpc_.defer(
        [done, who = self_.str()] { done(fail(Errc::invalid, "node " + who + " is not idle")); });
    return;
  }
  state_ = State::joining;
  join_done_ = std::move(done);
  bootstrap_ = bootstrap;
  try_join(bootstrap, 0);
}

void ChordNode::try_join(const std::string& bootstrap, unsigned attempt) {
  auto retry = [this, bootstrap, attempt](const Error& e) {
    if (state_ != State::joining) return;
    // Refused by the handshake: asking again cannot help, and the reason is the user's to read.
    if (attempt + 1 >= 5 || e.code == Errc::permission) {
      state_ = State::idle;
      auto d = std::move(join_done_);
      join_done_ = nullptr;
      if (d)
        d(e.code == Errc::permission
              ? e
              : fail(e.code == Errc::exists ? Errc::exists : Errc::unavailable,
                     "cannot join " + bootstrap + ": " + e.message()));
      return;
    }
    timers_[kStabilize] = clock_.schedule(cfg_.rpc_timeout_ms, [this, bootstrap, attempt] {
      timers_[kStabilize] = 0;
      try_join(bootstrap, attempt + 1);
    });
  };
  // Find our successor through the bootstrap node (whose id we do not know yet).
  Lookup::start(
      rpc_, routing_, clock_, cfg_, self_.id, {NodeRef{Id256{}, bootstrap}},
      [this, retry](Result<Lookup::Outcome> r) {
        if (state_ != State::joining) return;
        if (!r) return retry(r.error());
        NodeRef s = r->successors.front();
        if (s.id == self_.id) {
          if (s.addr != self_.addr)
            return retry(fail(Errc::exists, "node id " + self_.id.short_hex() + " taken"));
          // This node crashed and came back at its address before the ring noticed: the entry
          // the ring lists is this node, and its successor is the next node listed.
          auto next = std::find_if(r->successors.begin(), r->successors.end(),
                                   [this](const NodeRef& n) { return n.id != self_.id; });
          if (next == r->successors.end())
            return retry(fail(Errc::unavailable, "ring already lists this node"));
          s = *next;
        }
        // Zave: join copies the successor's list.
        rpc_.call(s.addr, msg::GetNeighbors{}, cfg_.rpc_timeout_ms,
                  [this, s, retry](Result<Message> r) {
                    if (state_ != State::joining) return;
                    auto* nb = r ? std::get_if<msg::Neighbors>(&r->body) : nullptr;
                    if (!nb || r->sender.id != s.id)
                      return retry(r ? fail(Errc::corrupt, "bad answer") : r.error());
                    // Ask the nodes it names first, so that we start with a full list of nodes
                    // that proved who they are, not with the successor alone.
                    std::vector<NodeRef> ask;
                    for (auto& n : nb->succs)
                      if (!routing_.proven(n) && ask.size() < cfg_.successors) ask.push_back(n);
                    prove(ask, [this, s, succs = nb->succs] {
                      if (state_ != State::joining) return;
                      bool wrapped = false;
                      std::vector<NodeRef> unproven;
                      auto list = routing_.successor_list(s, succs, &wrapped, &unproven);
                      routing_.set_successors(std::move(list), wrapped);
                      routing_.set_predecessor(std::nullopt);
                      become_member();
                      successors_changed();
                      auto d = std::move(join_done_);
                      join_done_ = nullptr;
                      if (d) d({});
                    });
                  });
      });
}

// ---- stabilize (Zave) ----

void ChordNode::stabilize() {
  if (stabilizing_) return;
  ++stats_.stabilizations;
  if (routing_.successors().empty()) {
    // Alone (we created the ring, or our list held the whole ring and the others are gone): our
    // successor is ourselves, so our predecessor is our successor's predecessor. A node that
    // lost a partial list is not alone: taking its predecessor would close a two-node ring that
    // believes it is the whole ring and answers lookups for every key (partitions split halves
    // into separate rings that way).
    if (auto p = routing_.predecessor(); p && routing_.whole_ring()) {
      stabilizing_ = true;
      adopt_successor(*p, [this](bool) { stabilizing_ = false; });
    } else if (!routing_.dropped().empty() || !routing_.known().empty()) {
      rejoin();
    }
    return;
  }
  NodeRef s = routing_.successor();
  stabilizing_ = true;
  rpc_.call(s.addr, msg::GetNeighbors{}, cfg_.rpc_timeout_ms, [this, s](Result<Message> r) {
    stabilizing_ = false;
    if (state_ != State::member && state_ != State::leaving) return;
    if (routing_.successors().empty() || routing_.successor().id != s.id) return;  // moved on
    auto* nb = r ? std::get_if<msg::Neighbors>(&r->body) : nullptr;
    if (!nb) return successor_failed(s);
    succ_failures_ = 0;
    on_successor_answer(s, *nb);
  });
}

void ChordNode::on_successor_answer(const NodeRef& s, const msg::Neighbors& nb) {
  // Reconcile: our list is our successor followed by its list.
  bool wrapped = false;
  std::vector<NodeRef> unproven;
  auto list = routing_.successor_list(s, nb.succs, &wrapped, &unproven);
  routing_.set_successors(std::move(list), wrapped);
  prove(unproven);
  successors_changed();
  // The successor's predecessor sits between us: adopt it, but only once it answers. Its
  // predecessor list may name nodes closer still (after many joins between us): take the
  // closest to us, and stabilize again right away while that keeps moving our successor.
  std::optional<NodeRef> best;
  auto consider = [&](const NodeRef& p) {
    if (p.id == self_.id || !ring::in_open(p.id, self_.id, s.id)) return;
    if (!best || ring::distance(self_.id, p.id) < ring::distance(self_.id, best->id)) best = p;
  };
  if (nb.pred) consider(*nb.pred);
  if (nb.pred && ring::in_open(nb.pred->id, self_.id, s.id))
    for (auto& p : nb.preds) consider(p);
  if (best) {
    stabilizing_ = true;
    adopt_successor(*best, [this, s](bool adopted) {
      stabilizing_ = false;
      if (!adopted) return notify(s);
      if (state_ == State::member) arm(kStabilize, 20);
    });
    return;
  }
  notify(s);
}

void ChordNode::adopt_successor(const NodeRef& candidate, std::function<void(bool)> then) {
  rpc_.call(candidate.addr, msg::GetNeighbors{}, cfg_.rpc_timeout_ms,
            [this, candidate, then](Result<Message> r) {
              auto* nb = r ? std::get_if<msg::Neighbors>(&r->body) : nullptr;
              // Only the candidate itself counts: another node answering at the address a
              // peer gave for it proves nothing about the candidate.
              bool ok = nb && r->sender.id == candidate.id &&
                        (state_ == State::member || state_ == State::leaving);
              // Still closer than our current successor (or we are alone)?
              if (ok && !routing_.successors().empty() &&
                  !ring::in_open(candidate.id, self_.id, routing_.successor().id))
                ok = false;
              if (ok) {
                bool wrapped = false;
                std::vector<NodeRef> unproven;
                auto list = routing_.successor_list(candidate, nb->succs, &wrapped, &unproven);
                routing_.set_successors(std::move(list), wrapped);
                prove(unproven);
                successors_changed();
                notify(candidate);
              }
              then(ok);
            });
}

void ChordNode::successor_failed(const NodeRef& s) {
  // A successor we heard from lately is probably alive and the loss was the network's: retry
  // soon. After suspect_after silent rounds, a last burst of pings decides: dropping a live
  // successor would make the ring skip it until the next stabilization.
  ++succ_failures_;
  bool heard = routing_.heard_within(s.addr, clock_.now_ms(),
                                     std::max(cfg_.stabilize_ms, cfg_.check_predecessor_ms));
  if (succ_failures_ < cfg_.suspect_after || (heard && succ_failures_ < 4 * cfg_.suspect_after)) {
    arm(kStabilize, std::min<int64_t>(cfg_.stabilize_ms, 200));
    return;
  }
  stabilizing_ = true;
  confirm_gone(s, [this, s](bool gone) {
    stabilizing_ = false;
    if (routing_.successors().empty() || routing_.successor().id != s.id) return;
    succ_failures_ = 0;
    if (!gone) {
      arm(kStabilize, 0);
      return;
    }
    ++stats_.successor_drops;
    routing_.remove_successor(s.id);
    routing_.note_failed(s, clock_.now_ms());
    successors_changed();
    log::debug("dht: " + self_.str() + " dropped successor " + s.str());
    arm(kStabilize, 0);
  });
}

void ChordNode::prove(const std::vector<NodeRef>& nodes, std::function<void()> then) {
  if (nodes.empty()) {
    if (then) rpc_.defer(std::move(then));
    return;
  }
  // An answer from the node named proves it (see the observer); the next stabilization takes it.
  auto left = std::make_shared<size_t>(nodes.size());
  for (auto& n : nodes)
    rpc_.call(n.addr, msg::Ping{}, cfg_.rpc_timeout_ms, [left, then](Result<Message>) {
      if (--*left == 0 && then) then();
    });
}

void ChordNode::notify(const NodeRef& n) {
  if (state_ != State::member && state_ != State::leaving) return;
  rpc_.call(n.addr, msg::Notify{}, cfg_.rpc_timeout_ms, [](Result<Message>) {});
}

// ---- predecessor ----

void ChordNode::check_predecessor() {
  auto p = routing_.predecessor();
  if (!p || checking_pred_) return;
  checking_pred_ = true;
  NodeRef pred = *p;
  rpc_.call(pred.addr, msg::GetNeighbors{}, cfg_.rpc_timeout_ms, [this, pred](Result<Message> r) {
    checking_pred_ = false;
    if (!routing_.predecessor() || routing_.predecessor()->id != pred.id) return;
    auto* nb = r ? std::get_if<msg::Neighbors>(&r->body) : nullptr;
    if (nb) {
      pred_failures_ = 0;
      if (nb->store_full)
        pred_full_ = {pred.id, clock_.now_ms() + 2 * cfg_.repair_ms};
      else if (pred_full_.first == pred.id)
        pred_full_ = {};
      std::vector<NodeRef> unproven;
      routing_.set_predecessors(
          pred, nb->preds.empty() && nb->pred ? std::vector<NodeRef>{*nb->pred} : nb->preds,
          &unproven);
      prove(unproven);
      return;
    }
    if (++pred_failures_ < cfg_.suspect_after ||
        routing_.heard_within(pred.addr, clock_.now_ms(), cfg_.stabilize_ms))
      return;
    // Confirm with bursts of pings before forgetting the predecessor.
    checking_pred_ = true;
    confirm_gone(pred, [this, pred](bool gone) {
      checking_pred_ = false;
      pred_failures_ = 0;
      if (!gone || !routing_.predecessor() || routing_.predecessor()->id != pred.id) return;
      routing_.note_failed(pred, clock_.now_ms());
      routing_.set_predecessor(std::nullopt);
    });
  });
}

void ChordNode::set_predecessor(const NodeRef& p) {
  bool changed = !routing_.predecessor() || routing_.predecessor()->id != p.id;
  routing_.set_predecessor(p);
  pred_failures_ = 0;
  if (changed && state_ == State::member) {
    // Learn the predecessor list, and pull the keys we now own (join pull) soon.
    arm(kCheckPred, 10);
    arm(kRepair, 50);
  }
}

// ---- fingers ----

void ChordNode::fix_fingers() {
  if (fixing_finger_ || routing_.successors().empty()) return;
  int i = next_finger_;
  Id256 start = ring::add_pow2(self_.id, unsigned(i));
  if (ring::in_half_open(start, self_.id, routing_.successor().id)) {
    // This finger and every lower one is our successor: the sweep is done. The next one starts
    // after a pause (the fingers that matter, about log2(N) of them, were just refreshed).
    for (int j = i; j >= 0; --j) routing_.set_finger(unsigned(j), routing_.successor());
    next_finger_ = 255;
    arm(kFixFingers, jitter(cfg_.fix_fingers_ms * 8));
    return;
  }
  fixing_finger_ = true;
  lookup(start, [this, i](Result<Lookup::Outcome> r) {
    fixing_finger_ = false;
    if (r && !r->successors.empty()) {
      routing_.set_finger(unsigned(i), r->successors.front());
      next_finger_ = i > 0 ? i - 1 : 255;
    }
  });
}

void ChordNode::successors_changed() {
  std::vector<Id256> now;
  for (auto& n : routing_.successors()) {
    if (now.size() + 1 >= cfg_.replicas) break;
    now.push_back(n.id);
  }
  if (now == last_replica_set_) return;
  last_replica_set_ = std::move(now);
  // What we knew of a replica that left the set is stale should it come back.
  std::erase_if(checks_, [&](const auto& c) {
    return std::find(last_replica_set_.begin(), last_replica_set_.end(), c.first) ==
           last_replica_set_.end();
  });
  // New replicas for our range: repair soon (coalesced).
  if (state_ == State::member) arm(kRepair, 200);
}

// ---- leave ----

void ChordNode::leave(std::function<void(Status)> done) {
  if (state_ != State::member) {
    rpc_.defer([done, who = self_.str()] {
      done(fail(Errc::invalid, "node " + who + " is not a ring member"));
    });
    return;
  }
  state_ = State::leaving;
  leave_done_ = std::move(done);
  stop_timers();
  arm(kStabilize, 0);
  // Our own copies are going away: our writes count only once other nodes hold them all.
  replicator_.exclude(self_.id);
  arm_leave_deadline("writes of this node did not reach their full replica count");
  replicator_.drain([this] {
    if (state_ == State::leaving) leave_after_writes();
  });
}

void ChordNode::arm_leave_deadline(std::string what) {
  if (leave_deadline_) clock_.cancel(leave_deadline_);
  uint64_t moved = leave_progress_;
  size_t short_before = replicator_.pending();
  // Longer than one round of a write to a replica that does not answer (store_attempts sends),
  // so the round after it, to the replica's replacement, can still count as progress.
  int64_t window = cfg_.transfer_timeout_ms * (cfg_.store_attempts + 1);
  leave_deadline_ = clock_.schedule(window, [this, what, moved, short_before] {
    leave_deadline_ = 0;
    if (leave_progress_ != moved || replicator_.pending() < short_before)
      return arm_leave_deadline(what);
    size_t short_keys = replicator_.pending();
    std::string why = what;
    if (short_keys)
      why += " (" + std::to_string(short_keys) +
             " keys below their replica count: " + replicator_.describe_pending(3) + ")";
    finish_leave(fail(Errc::timeout, why));
  });
}

void ChordNode::leave_after_writes() {
  arm_leave_deadline("handoff did not finish");
  // Refresh both neighbour lists first: the handoff targets come from them.
  auto pending = std::make_shared<int>(1);
  auto step = [this, pending] {
    if (--*pending == 0 && state_ == State::leaving) leave_handoff();
  };
  if (!routing_.successors().empty()) {
    ++*pending;
    NodeRef s = routing_.successor();
    rpc_.call(s.addr, msg::GetNeighbors{}, cfg_.rpc_timeout_ms, [this, s, step](Result<Message> r) {
      auto* nb = r ? std::get_if<msg::Neighbors>(&r->body) : nullptr;
      if (nb && !routing_.successors().empty() && routing_.successor().id == s.id) {
        bool wrapped = false;
        auto list = routing_.successor_list(s, nb->succs, &wrapped);
        routing_.set_successors(std::move(list), wrapped);
      }
      step();
    });
  }
  if (auto p = routing_.predecessor()) {
    ++*pending;
    NodeRef pred = *p;
    rpc_.call(pred.addr, msg::GetNeighbors{}, cfg_.rpc_timeout_ms,
              [this, pred, step](Result<Message> r) {
                auto* nb = r ? std::get_if<msg::Neighbors>(&r->body) : nullptr;
                if (nb && routing_.predecessor() && routing_.predecessor()->id == pred.id)
                  routing_.set_predecessors(pred, nb->preds);
                step();
              });
  }
  step();
}

void ChordNode::finish_leave(Status st) {
  if (state_ != State::leaving) return;
  // Tell our neighbours, so they skip us without waiting for a timeout.
  msg::Leaving m;
  m.pred = routing_.predecessor();
  m.succs = routing_.successors();
  if (!routing_.successors().empty())
    rpc_.call(routing_.successor().addr, m, cfg_.rpc_timeout_ms, [](Result<Message>) {});
  if (routing_.predecessor() && routing_.predecessor()->id != routing_.successor().id)
    rpc_.call(routing_.predecessor()->addr, m, cfg_.rpc_timeout_ms, [](Result<Message>) {});
  state_ = State::left;
  stop_timers();
  // Writes accepted before we began leaving are acknowledged once on disk; they go first.
  store_.drain([this, st] {
    auto d = std::move(leave_done_);
    leave_done_ = nullptr;
    if (d) d(st);
  });
}

}  // namespace peerstore
