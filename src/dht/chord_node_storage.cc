// ChordNode: lookups, replicated reads and writes, range repair, and handoff of keys.
#include <map>

#include "common/log.h"
#include "dht/chord_node.h"
#include "dht/key_handoff.h"
#include "dht/range_sync.h"
#include "dht/ring.h"
#include "keys/block_cipher.h"

namespace peerstore {

void ChordNode::lookup(const Id256& key, LookupDone done) {
  if (state_ != State::member && state_ != State::leaving) {
    rpc_.defer([done] { done(fail(Errc::unavailable, "this node is not a ring member")); });
    return;
  }
  ++stats_.lookups;
  Lookup::start(rpc_, routing_, clock_, cfg_, key, {}, [this, done](Result<Lookup::Outcome> r) {
    if (r) {
      stats_.lookup_hops += r->hops;
      stats_.lookup_timeouts += r->timeouts;
    } else {
      ++stats_.lookup_failures;
    }
    done(std::move(r));
  });
}

std::vector<NodeRef> ChordNode::replicas_of(const std::vector<NodeRef>& successors) const {
  // A leaving node is nobody's replica any more, whatever the others' lists still say.
  bool skip_self = state_ == State::leaving || state_ == State::left;
  std::vector<NodeRef> out;
  bool skipped = false;
  auto add = [&](const NodeRef& n) {
    if (out.size() >= cfg_.replicas) return;
    if (skip_self && n.id == self_.id) {
      skipped = true;
      return;
    }
    for (auto& o : out)
      if (o.id == n.id) return;
    out.push_back(n);
  };
  for (auto& n : successors) add(n);
  // A lookup may answer with just `replicas` nodes (the answering node's list ended there). The
  // node that replaces us in this set comes after us on the ring: the next of our successors.
  if (skipped)
    for (auto& n : routing_.successors()) add(n);
  return out;
}

size_t ChordNode::copies_possible() const {
  bool counts_self = state_ == State::member;
  return std::min<size_t>(cfg_.replicas, routing_.successors().size() + (counts_self ? 1 : 0));
}

// ---- writes ----

void ChordNode::quorum_write(const Id256& key, Body request, std::function<void(Status)> done) {
  lookup(key, [this, key, request = std::move(request), done](Result<Lookup::Outcome> r) mutable {
    if (!r) return done(r.error());
    replicator_.write(key, std::move(request), replicas_of(r->successors), std::move(done));
  });
}

void ChordNode::put_block(const Id256& id, Bytes data, std::function<void(Status)> done) {
  if (data.size() > kMaxBlockSize) {
    rpc_.defer([done, id] { done(fail(Errc::too_big, "block " + id.short_hex())); });
    return;
  }
  if (!block_id_matches(id, data)) {
    rpc_.defer([done, id] {
      done(fail(Errc::invalid, "block " + id.short_hex() + " does not hash to its id"));
    });
    return;
  }
  put_own_block(id, std::move(data), std::move(done));
}

void ChordNode::put_own_block(const Id256& id, Bytes data, std::function<void(Status)> done) {
  if (data.size() > kMaxBlockSize) {
    rpc_.defer([done, id] { done(fail(Errc::too_big, "block " + id.short_hex())); });
    return;
  }
  quorum_write(id, msg::PutBlock{id, std::move(data)}, std::move(done));
}

void ChordNode::put_stored_block(const Id256& id, size_t size, std::function<void(Status)> done) {
  lookup(id, [this, id, size, done = std::move(done)](Result<Lookup::Outcome> r) mutable {
    if (!r) return done(r.error());
    auto replicas = replicas_of(r->successors);
    if (replicas.size() == 1 && replicas[0].id == self_.id)
      return store_.adopt_stored_block(id, size, std::move(done));
    auto bytes = store_.get_block(id);
    if (!bytes) return done(bytes.error());
    if (bytes->size() > kMaxBlockSize) return done(fail(Errc::too_big, "block " + id.short_hex()));
    replicator_.write(id, msg::PutBlock{id, std::move(*bytes)}, replicas, std::move(done));
  });
}

void ChordNode::put_records(KeyKind kind, const Id256& owner, std::vector<Bytes> records,
                            std::function<void(Status)> done) {
  for (auto& r : records) {
    auto c = RecordSet::is_record(kind) ? RecordSet::check(kind, owner, r)
                                        : Status(fail(Errc::invalid, "not a record kind"));
    if (!c) {
      rpc_.defer([done, e = c.error()] { done(fail(Errc::invalid, e.message())); });
      return;
    }
  }
  quorum_write(RecordSet::key_for(kind, owner), record_put_request(kind, owner, std::move(records)),
               std::move(done));
}

// ---- reads ----

void ChordNode::get_block(const Id256& id, std::function<void(Result<Bytes>)> done) {
  if (store_.contains(KeyKind::block, id)) {
    auto data = store_.get_block(id);
    if (data && block_id_matches(id, *data)) {
      rpc_.defer([done, d = std::move(*data)]() mutable { done(std::move(d)); });
      return;
    }
  }
  fetch_block(id, 0, std::move(done));
}

void ChordNode::fetch_block(const Id256& id, unsigned attempt,
                            std::function<void(Result<Bytes>)> done) {
  // Right after a crash, lookups and reads meet nodes that are gone (a successor list names them,
  // a ping to them times out) or successor lists cut short (fewer nodes than a key's replicas),
  // until stabilization routes around them, a few seconds later: such a read asks again after 1,
  // then 2 stabilize periods. A block that a whole replica set answered is not there fails at
  // once.
  auto again = [this, id, attempt, done](Result<Bytes> r, bool short_list) {
    bool running = state_ == State::member || state_ == State::leaving;
    bool churn = r.code() == Errc::unavailable || (r.code() == Errc::not_found && short_list);
    if (r || !churn || attempt + 1 >= kReadAttempts || !running) return done(std::move(r));
    auto timer = std::make_shared<Clock::TimerId>(0);
    *timer = clock_.schedule(cfg_.stabilize_ms << attempt, [this, id, attempt, done, timer] {
      retry_timers_.erase(*timer);
      fetch_block(id, attempt + 1, done);
    });
    retry_timers_.insert(*timer);
  };
  lookup(id, [this, id, again](Result<Lookup::Outcome> r) {
    if (!r) return again(r.error(), false);
    bool short_list = replicas_of(r->successors).size() < copies_possible();
    // The replicas first, then the rest of the successor list (copies left there by churn).
    read_block_from(id, std::move(r->successors), 0, false,
                    [again, short_list](Result<Bytes> got) { again(std::move(got), short_list); });
  });
}

void ChordNode::read_block_from(const Id256& id, std::vector<NodeRef> nodes, size_t i,
                                bool any_failed, std::function<void(Result<Bytes>)> done) {
  if (i >= nodes.size()) {
    done(fail(any_failed ? Errc::unavailable : Errc::not_found, "block " + id.short_hex()));
    return;
  }
  NodeRef n = nodes[i];
  rpc_.call(
      n.addr, msg::GetBlock{id}, cfg_.transfer_timeout_ms,
      [this, id, nodes = std::move(nodes), i, any_failed, done, n](Result<Message> r) mutable {
        auto* b = r ? std::get_if<msg::Block>(&r->body) : nullptr;
        if (b && b->data) {
          if (block_id_matches(id, *b->data)) return done(std::move(*b->data));
          // A lying or broken peer: ignore its copy and read another replica.
          ++stats_.bad_copies_read;
          log::warn("dht: " + n.str() + " returned a block that does not hash to " +
                    id.short_hex());
          any_failed = true;
        } else if (!b) {
          any_failed = true;
        }
        read_block_from(id, std::move(nodes), i + 1, any_failed, done);
      },
      cfg_.store_attempts);
}

void ChordNode::get_records(KeyKind kind, const Id256& owner,
                            std::function<void(Result<std::vector<Bytes>>)> done) {
  if (!RecordSet::is_record(kind)) {
    rpc_.defer([done] { done(fail(Errc::invalid, "not a record kind")); });
    return;
  }
  Id256 key = RecordSet::key_for(kind, owner);
  lookup(key, [this, kind, owner, key, done](Result<Lookup::Outcome> r) {
    if (!r) return done(r.error());
    auto replicas = replicas_of(r->successors);
    struct Merge {
      RecordSet set;
      size_t answers = 0, ok = 0, total = 0;
      std::vector<std::pair<NodeRef, Fingerprint>> seen;
      Merge(KeyKind k, const Id256& o) : set(k, o) {}
    };
    auto m = std::make_shared<Merge>(kind, owner);
    m->total = replicas.size();
    for (auto& n : replicas) {
      rpc_.call(
          n.addr, record_get_request(kind, owner), cfg_.transfer_timeout_ms,
          [this, m, n, kind, owner, key, done](Result<Message> r) {
            ++m->answers;
            auto* items = r ? records_of_reply(r->body) : nullptr;
            if (items) {
              ++m->ok;
              RecordSet theirs(kind, owner);
              for (auto& b : *items) {
                if (!theirs.add(b).ok()) {
                  ++stats_.bad_copies_read;
                  continue;
                }
                (void)m->set.add(b);
              }
              m->seen.emplace_back(n, ReplicaStore::record_fingerprint(kind, key, theirs.digest()));
            }
            if (m->answers < m->total) return;
            if (m->ok == 0)
              return done(fail(Errc::unavailable,
                               "no replica of the records of " + owner.short_hex() + " answered"));
            // Read repair: replicas that answered with less get the merged set.
            auto merged = m->set.encoded();
            auto fp = ReplicaStore::record_fingerprint(kind, key, m->set.digest());
            if (!m->set.empty())
              for (auto& [node, theirs] : m->seen)
                if (theirs != fp)
                  rpc_.call(node.addr, record_put_request(kind, owner, merged),
                            cfg_.transfer_timeout_ms, [](Result<Message>) {});
            done(std::move(merged));
          },
          cfg_.store_attempts);
    }
  });
}

// ---- repair: the primary syncs its range with the other replicas ----

void ChordNode::repair() {
  auto pred = routing_.predecessor();
  if (!pred || routing_.successors().empty()) return;
  Id256 lo = pred->id, hi = self_.id;
  const int64_t now = clock_.now_ms();
  // A predecessor whose store is full holds none of its range's new blocks, so its own repair
  // pushes nothing: while it says so (check_predecessor asks it every few seconds) we act as
  // primary for its range too, our sessions covering both ranges.
  if (pred_full_.first == pred->id && pred_full_.second > now &&
      routing_.predecessors().size() >= 2)
    lo = routing_.predecessors()[1].id;
  std::erase_if(full_replicas_, [now](auto& f) { return f.second <= now; });
  // The other replicas, and for each of them whose store refused our blocks lately, one
  // successor past the replica set that stands in for it (docs/dht.md: Routing around a full
  // node): it gets the copies the full one cannot take.
  size_t n = 0, stand_ins = 0;
  for (auto& s : routing_.successors()) {
    bool replica = ++n < cfg_.replicas;
    if (!replica && stand_ins == 0) break;
    if (!replica) --stand_ins;
    if (replica && full_replicas_.count(s.id)) ++stand_ins;
    if (syncing_.count(s.addr)) continue;
    syncing_.insert(s.addr);
    ++stats_.repair_sessions;
    RangeSync::start(rpc_, store_, cfg_, s, lo, hi,
                     [this, s, lo, hi, replica](const RangeSync::Stats& st) {
                       syncing_.erase(s.addr);
                       stats_.keys_pulled += st.pulled;
                       stats_.keys_pushed += st.pushed;
                       stats_.heads_merged += st.merged;
                       // Full for two repair periods: a node that got room back is asked
                       // again soon, and its stand-in's copies stay (nodes never delete).
                       if (replica && st.refused_full)
                         full_replicas_[s.id] = clock_.now_ms() + 2 * cfg_.repair_ms;
                       if (replica) record_check(s, lo, hi, st);
                     });
  }
}

// ---- handoff: copies held outside our replica range go to the nodes that own them ----

void ChordNode::handoff() {
  if (handing_off_ || routing_.predecessors().size() < cfg_.replicas) return;
  // We hold replicas for (pred_R, self]; everything in (self, pred_R] is someone else's.
  Id256 start = routing_.predecessors()[cfg_.replicas - 1].id;
  std::vector<KeyEntry> keys;
  store_.for_range(self_.id, start, [&](const KeyEntry& e) {
    keys.push_back(e);
    return keys.size() < 64 * 1024;
  });
  if (keys.empty()) return;
  // Resume after where the last round stopped.
  size_t pos = 0;
  while (pos < keys.size() &&
         ring::distance(self_.id, keys[pos].key) <= ring::distance(self_.id, handoff_cursor_))
    ++pos;
  if (pos == keys.size()) pos = 0;
  handing_off_ = true;
  offer_to_owners(
      std::move(keys), pos, 16,
      [this](size_t next, const std::vector<KeyEntry>& keys, size_t failed, bool stopped) {
        (void)failed;
        handing_off_ = false;
        if (!stopped)
          handoff_cursor_ = next >= keys.size() || next == 0 ? self_.id : keys[next - 1].key;
      });
}

void ChordNode::offer_to_owners(std::vector<KeyEntry> keys, size_t pos, unsigned groups_left,
                                OffersDone done, size_t failed, unsigned tries) {
  bool leaving = state_ == State::leaving;
  if (pos >= keys.size() || groups_left == 0 || !(state_ == State::member || leaving))
    return done(pos, keys, failed, false);
  // A leaver's group that some replica did not take (it just left or died, and the lists that
  // named it are a stabilization behind) is offered again with a fresh lookup, a stabilize
  // period later, before it counts as failed; a member leaves that to its next round.
  auto next = [this, pos, groups_left, done, failed, tries, leaving](
                  std::vector<KeyEntry> keys, size_t end, bool group_failed) {
    if (group_failed && leaving && tries + 1 < kLeaveOfferTries && state_ == State::leaving) {
      auto rest = std::make_shared<std::vector<KeyEntry>>(std::move(keys));
      auto timer = std::make_shared<Clock::TimerId>(0);
      *timer = clock_.schedule(
          cfg_.stabilize_ms, [this, rest, pos, groups_left, done, failed, tries, timer] {
            retry_timers_.erase(*timer);
            offer_to_owners(std::move(*rest), pos, groups_left, done, failed, tries + 1);
          });
      retry_timers_.insert(*timer);
      return;
    }
    offer_to_owners(std::move(keys), end, groups_left - 1, done, failed + group_failed);
  };
  Id256 first = keys[pos].key;
  lookup(first, [this, keys = std::move(keys), pos, first, done, failed, leaving,
                 next](Result<Lookup::Outcome> r) mutable {
    bool still = leaving ? state_ == State::leaving : state_ == State::member;
    if (!still) return done(pos, keys, failed, true);
    std::vector<NodeRef> succs;
    if (r)
      for (auto& n : r->successors)
        if (!leaving || !refused_handoff_.count(n.id)) succs.push_back(n);
    auto replicas = replicas_of(succs);
    if (replicas.empty()) {
      // Nobody to offer these to now: a member tries again next round, a leaver retries.
      if (!leaving) return done(pos, keys, failed, true);
      return next(std::move(keys), pos + 1, true);
    }
    auto offer = [this, pos, first, leaving, next](std::vector<KeyEntry> keys,
                                                   const std::vector<NodeRef>& replicas) {
      const Id256& owner = replicas.front().id;
      // The keys from `first` up to the owner all belong to it.
      size_t end = pos;
      while (end < keys.size() &&
             ring::distance(first, keys[end].key) <= ring::distance(first, owner))
        ++end;
      if (end == pos) end = pos + 1;
      bool mine = false;
      for (auto& n : replicas) mine |= n.id == self_.id;
      if (mine) return next(std::move(keys), end, false);
      std::vector<KeyEntry> group(keys.begin() + pos, keys.begin() + end);
      struct Round {
        size_t pending;
        bool failed = false;
        std::vector<KeyEntry> keys;
      };
      auto round = std::make_shared<Round>(Round{replicas.size(), false, std::move(keys)});
      ++stats_.handoff_sessions;
      for (auto& n : replicas) {
        KeyHandoff::start(
            rpc_, store_, cfg_, n, group,
            [this, round, end, next, n](Status st, const KeyHandoff::Stats& hs) {
              stats_.handoff_pushed += hs.pushed;
              if (!st || hs.failed) {
                round->failed = true;
                // A leaver's lists must stop naming a node that does not take keys, or every
                // retry asks it again (its stabilization may bring it back; the filter stays).
                if (state_ == State::leaving) {
                  routing_.remove_successor(n.id);
                  refused_handoff_.insert(n.id);
                }
              }
              if (--round->pending == 0) next(std::move(round->keys), end, round->failed);
            },
            leaving ? leave_progress() : nullptr);
      }
    };
    if (!leaving || replicas.size() >= copies_possible()) return offer(std::move(keys), replicas);
    // A leaver's set cut short (the lookup's list named a node that refused, and ended soon
    // after it) is not the keys' replica set: offered to it, the keys would stay a copy short.
    // The set's last node names the nodes after it; failing that, a fresh lookup later.
    NodeRef last = replicas.back();
    rpc_.call(last.addr, msg::GetNeighbors{}, cfg_.rpc_timeout_ms,
              [this, keys = std::move(keys), succs = std::move(succs), last, pos, failed, done,
               next, offer](Result<Message> r) mutable {
                if (state_ != State::leaving) return done(pos, keys, failed, true);
                auto* nb = r ? std::get_if<msg::Neighbors>(&r->body) : nullptr;
                if (nb && r->sender.id == last.id)
                  for (auto& n : nb->succs)
                    if (!refused_handoff_.count(n.id)) succs.push_back(n);
                auto replicas = replicas_of(succs);
                if (replicas.size() < copies_possible())
                  return next(std::move(keys), pos + 1, true);
                offer(std::move(keys), replicas);
              });
  });
}

// ---- leave: every key we hold goes to the nodes that hold it once we are gone ----

void ChordNode::leave_handoff(unsigned round) {
  const auto& succs = routing_.successors();
  const auto& preds = routing_.predecessors();
  if (succs.empty())  // the last node: nobody to hand to (or, in a later round, none left)
    return finish_leave(round == 0 ? Status()
                                   : fail(Errc::unavailable, "no successor took this node's keys"));
  // Ring order around us without us: predecessors (farthest first), then successors; without
  // the nodes that failed to take keys in an earlier round (they died or left just now, and our
  // lists still name them): each key goes to the next nodes instead.
  std::vector<NodeRef> around;
  for (auto it = preds.rbegin(); it != preds.rend(); ++it)
    if (!refused_handoff_.count(it->id)) around.push_back(*it);
  for (auto& n : succs)
    if (!refused_handoff_.count(n.id)) around.push_back(n);
  if (around.empty())
    return finish_leave(fail(Errc::unavailable, "no neighbour took this node's keys"));
  Id256 origin = around.front().id;
  std::sort(around.begin(), around.end(), [&](const NodeRef& a, const NodeRef& b) {
    return ring::distance(origin, a.id) < ring::distance(origin, b.id);
  });
  around.erase(std::unique(around.begin(), around.end(),
                           [](const NodeRef& a, const NodeRef& b) { return a.id == b.id; }),
               around.end());
  bool full = preds.size() >= cfg_.replicas;
  Id256 range_start = full ? preds[cfg_.replicas - 1].id : self_.id;
  std::map<std::string, std::pair<NodeRef, std::vector<KeyEntry>>> per_target;
  std::vector<KeyEntry> elsewhere;
  store_.for_range(self_.id, self_.id, [&](const KeyEntry& e) {
    if (full && !ring::in_half_open(e.key, range_start, self_.id)) {
      elsewhere.push_back(e);
      return true;
    }
    // The first `replicas` nodes at or after the key, without us, in ring order: from the first
    // node past the key, wrapping around (in a small ring the farthest predecessor is also a
    // successor of the key).
    size_t picked = 0;
    size_t start = 0;
    if (full)
      while (start < around.size() &&
             ring::distance(origin, around[start].id) < ring::distance(origin, e.key))
        ++start;
    for (size_t k = 0; k < around.size() && picked < cfg_.replicas; ++k) {
      const NodeRef& n = around[(start + k) % around.size()];
      auto& slot = per_target[n.addr];
      slot.first = n;
      slot.second.push_back(e);
      ++picked;
    }
    if (!full)  // a small ring: every neighbour keeps a copy
      for (auto& n : succs) {
        if (refused_handoff_.count(n.id)) continue;
        auto& slot = per_target[n.addr];
        if (slot.second.empty() || !(slot.second.back() == e)) {
          slot.first = n;
          slot.second.push_back(e);
        }
      }
    return true;
  });
  if (per_target.empty() && elsewhere.empty()) return finish_leave({});
  auto pending = std::make_shared<size_t>(per_target.size() + !elsewhere.empty());
  auto failed = std::make_shared<size_t>(0);
  auto one_done = [this, pending, failed, round](bool ok) {
    if (!ok) ++*failed;
    if (--*pending > 0) return;
    if (!*failed) return finish_leave({});
    // Planned again without the nodes that failed: offers skip what a node holds already, so
    // only the copies still missing move.
    if (round + 1 < kLeaveOfferTries && state_ == State::leaving) return leave_handoff(round + 1);
    finish_leave(fail(Errc::unavailable, std::to_string(*failed) + " handoffs incomplete"));
  };
  // Keys outside our range are copies beyond the ring's count (or ones that never reached their
  // owners): offered group by group to the replica set each has now, which takes what it lacks;
  // usually nothing moves.
  if (!elsewhere.empty())
    offer_to_owners(std::move(elsewhere), 0, ~0u,
                    [one_done](size_t, const std::vector<KeyEntry>&, size_t failed, bool stopped) {
                      one_done(failed == 0 && !stopped);
                    });
  for (auto& [addr, slot] : per_target) {
    NodeRef target = slot.first;
    KeyHandoff::start(
        rpc_, store_, cfg_, target, std::move(slot.second),
        [this, target, one_done](Status st, const KeyHandoff::Stats& s) {
          stats_.handoff_pushed += s.pushed;
          if (st && !s.failed) return one_done(true);
          if (state_ == State::leaving) {
            routing_.remove_successor(target.id);
            refused_handoff_.insert(target.id);
          }
          one_done(false);
        },
        leave_progress());
  }
}

}  // namespace peerstore

namespace peerstore {

void ChordNode::release_blocks(const std::vector<Id256>& ids,
                               std::function<void(std::vector<Id256>)> done,
                               std::shared_ptr<const WriteMark> guard) {
  const auto& preds = routing_.predecessors();
  if (state_ != State::member || preds.size() < cfg_.replicas) {
    rpc_.defer([done = std::move(done)] { done({}); });
    return;
  }
  const Id256& lo = preds[cfg_.replicas - 1].id;  // we keep (pred_R, self]
  std::vector<Id256> drop;
  for (auto& id : ids)
    if (lo != self_.id && !ring::in_half_open(id, lo, self_.id)) drop.push_back(id);
  store_.forget_blocks(drop, guard ? std::move(guard) : store_.write_mark(), std::move(done));
}

}  // namespace peerstore
