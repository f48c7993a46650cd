// ChordNode: answering other nodes' requests.
#include "common/log.h"
#include "dht/chord_node.h"
#include "dht/handshake.h"
#include "dht/ring.h"

namespace peerstore {

void ChordNode::respond(const std::string& to, const Message& req, Body body) {
  if (req.request_id == 0) return;
  rpc_.respond(to, req.request_id, std::move(body));
}

void ChordNode::answer_write(const std::string& to, uint64_t request_id, const Status& st) {
  if (request_id == 0) return;
  rpc_.respond(to, request_id,
               st ? Body(msg::Ok{}) : Body(msg::Error{st.code(), st.error().context}));
}

void ChordNode::on_request(const std::string& from, Message m) {
  if (std::holds_alternative<msg::GetStatus>(m.body)) return respond(from, m, status());
  if (state_ == State::idle || state_ == State::left ||
      (state_ == State::joining && !std::holds_alternative<msg::Ping>(m.body))) {
    respond(from, m, msg::Error{Errc::unavailable, "not a ring member"});
    return;
  }
  // A leaving node has already chosen which keys to hand over: it takes no more.
  bool write = std::holds_alternative<msg::PutBlock>(m.body) ||
               std::holds_alternative<msg::PutHeads>(m.body) ||
               std::holds_alternative<msg::PutRecords>(m.body);
  if (state_ == State::leaving && write) {
    respond(from, m, msg::Error{Errc::unavailable, "leaving the ring"});
    return;
  }
  if (from.starts_with(kClientAddressPrefix) && relay_for_client(from, m)) return;
  std::visit(
      [&](auto& b) {
        using T = std::decay_t<decltype(b)>;
        if constexpr (std::is_same_v<T, msg::Ping>) {
          respond(from, m, msg::Pong{});
        } else if constexpr (std::is_same_v<T, msg::GetNeighbors>) {
          msg::Neighbors nb;
          nb.pred = routing_.predecessor();
          nb.succs = routing_.successors();
          nb.preds = routing_.predecessors();
          nb.store_full = store_.refusing_blocks();
          respond(from, m, std::move(nb));
        } else if constexpr (std::is_same_v<T, msg::Notify>) {
          if (m.sender.addr == from) on_notify(m.sender);
          respond(from, m, msg::Ok{});
        } else if constexpr (std::is_same_v<T, msg::Find>) {
          msg::Found f;
          if (auto succ = routing_.resolve(b.key, cfg_.replicas)) {
            f.done = true;
            f.nodes = std::move(*succ);
          } else {
            // Empty when we lost every successor: no closer node, and the asker tries another.
            f.nodes = routing_.closest_preceding(b.key, 4);
          }
          respond(from, m, std::move(f));
        } else if constexpr (std::is_same_v<T, msg::GetBlock>) {
          msg::Block out;
          if (store_.contains(KeyKind::block, b.id)) {
            auto data = store_.get_block(b.id);
            if (data) out.data = std::move(*data);
          }
          respond(from, m, std::move(out));
        } else if constexpr (std::is_same_v<T, msg::PutBlock>) {
          store_.put_block(b.id, std::move(b.data), [this, from, id = m.request_id](Status st) {
            if (!st) ++stats_.rejected_blocks;
            note_store_full(st);
            answer_write(from, id, st);
          });
        } else if constexpr (std::is_same_v<T, msg::GetHeads>) {
          msg::Heads out;
          if (store_.contains(KeyKind::heads, HeadSet::key_for(b.volume))) {
            auto hs = store_.get_heads(b.volume);
            if (hs) out.heads = std::move(*hs);
            trim_heads_to_message(out.heads);
          }
          respond(from, m, std::move(out));
        } else if constexpr (std::is_same_v<T, msg::PutHeads>) {
          store_.put_heads(b.volume, b.heads,
                           [this, from, id = m.request_id, v = b.volume](Result<bool> r) {
                             if (!r) ++stats_.rejected_heads;
                             answer_write(from, id, r ? Status() : Status(r.error()));
                             if (r && *r) notify_watchers(HeadSet::key_for(v));
                           });
        } else if constexpr (std::is_same_v<T, msg::GetRecords>) {
          msg::Records out;
          if (store_.contains(b.kind, RecordSet::key_for(b.kind, b.owner))) {
            auto rs = store_.get_records(b.kind, b.owner);
            if (rs) out.records = std::move(*rs);
            trim_records_to_message(out.records);
          }
          respond(from, m, std::move(out));
        } else if constexpr (std::is_same_v<T, msg::PutRecords>) {
          store_.put_records(
              b.kind, b.owner, b.records,
              [this, from, id = m.request_id, kind = b.kind, owner = b.owner](Result<bool> r) {
                if (!r) ++stats_.rejected_heads;
                answer_write(from, id, r ? Status() : Status(r.error()));
                if (r && *r) notify_watchers(RecordSet::key_for(kind, owner));
              });
        } else if constexpr (std::is_same_v<T, msg::Summarize>) {
          respond(from, m, msg::Summary{store_.summarize(b.lo, b.hi, b.parts_log2)});
        } else if constexpr (std::is_same_v<T, msg::ListKeys>) {
          msg::KeyList out;
          size_t limit =
              std::min<size_t>(b.limit ? b.limit : kMaxEntriesPerMessage, kMaxEntriesPerMessage);
          out.entries = store_.list(b.lo, b.hi, limit, &out.truncated);
          respond(from, m, std::move(out));
        } else if constexpr (std::is_same_v<T, msg::Offer>) {
          msg::Want w;
          for (size_t i = 0; i < b.entries.size() && state_ == State::member; ++i) {
            auto& e = b.entries[i];
            auto mine = store_.entry(e.kind, e.key);
            if (!mine || mine->fp != e.fp) w.indices.push_back(uint32_t(i));
          }
          respond(from, m, std::move(w));
        } else if constexpr (std::is_same_v<T, msg::WatchHeads>) {
          // Notices go to the address the sender gave for itself; it answered from there.
          bool ok = m.sender.addr == from && watch_.add_watcher(b.key, m.sender, clock_.now_ms());
          respond(from, m,
                  ok ? Body(msg::Ok{}) : Body(msg::Error{Errc::busy, "too many watchers"}));
        } else if constexpr (std::is_same_v<T, msg::HeadsChanged>) {
          watch_.changed(b.key);
          respond(from, m, msg::Ok{});
        } else if constexpr (std::is_same_v<T, msg::Leaving>) {
          if (m.sender.addr == from) on_leaving(m.sender, b);
          respond(from, m, msg::Ok{});
        } else {
          respond(from, m,
                  msg::Error{Errc::not_supported, std::string("not a request: ") + m.type_name()});
        }
      },
      m.body);
}

// A client (peerstore backup, getfile...) is no ring member and holds no replica: its block
// and head requests are ring operations this node does for it, with the lookups, quorum and
// checks of its own (docs/client.md).
bool ChordNode::relay_for_client(const std::string& from, Message& m) {
  uint64_t id = m.request_id;
  if (auto* g = std::get_if<msg::GetBlock>(&m.body)) {
    get_block(g->id, [this, from, id](Result<Bytes> r) {
      if (id == 0) return;
      if (r)
        rpc_.respond(from, id, msg::Block{std::move(*r)});
      else if (r.code() == Errc::not_found)
        rpc_.respond(from, id, msg::Block{});
      else
        rpc_.respond(from, id, msg::Error{r.code(), r.error().context});
    });
  } else if (auto* p = std::get_if<msg::PutBlock>(&m.body)) {
    put_block(p->id, std::move(p->data),
              [this, from, id](Status st) { answer_write(from, id, st); });
  } else if (auto* gh = std::get_if<msg::GetHeads>(&m.body)) {
    get_heads(gh->volume, [this, from, id](Result<std::vector<Bytes>> r) {
      if (id == 0) return;
      if (!r) return rpc_.respond(from, id, msg::Error{r.code(), r.error().context});
      msg::Heads out{std::move(*r)};
      trim_heads_to_message(out.heads);
      rpc_.respond(from, id, std::move(out));
    });
  } else if (auto* ph = std::get_if<msg::PutHeads>(&m.body)) {
    put_heads(ph->volume, std::move(ph->heads),
              [this, from, id](Status st) { answer_write(from, id, st); });
  } else if (auto* gr = std::get_if<msg::GetRecords>(&m.body)) {
    get_records(gr->kind, gr->owner, [this, from, id](Result<std::vector<Bytes>> r) {
      if (id == 0) return;
      if (!r) return rpc_.respond(from, id, msg::Error{r.code(), r.error().context});
      msg::Records out{std::move(*r)};
      trim_records_to_message(out.records);
      rpc_.respond(from, id, std::move(out));
    });
  } else if (auto* pr = std::get_if<msg::PutRecords>(&m.body)) {
    put_records(pr->kind, pr->owner, std::move(pr->records),
                [this, from, id](Status st) { answer_write(from, id, st); });
  } else {
    return false;
  }
  return true;
}

void ChordNode::note_store_full(const Status& st) {
  bool full = st.code() == Errc::no_space;
  if (full && !store_full_)
    log::warn("dht: this node's store is full: it refuses new copies (" + st.error().message() +
              "); peerstore status shows its space");
  else if (!full && st && store_full_)
    log::info("dht: this node's store takes new copies again");
  if (full || st) store_full_ = full;
}

void ChordNode::on_notify(const NodeRef& c) {
  if (c.id == self_.id) return;
  auto pred = routing_.predecessor();
  auto closer = [this, c] {
    auto p = routing_.predecessor();
    return !p || ring::in_open(c.id, p->id, self_.id);
  };
  if (closer()) {
    // Adopted only once it answers, as stabilize adopts a successor: a node that sends but
    // never answers must not become the predecessor (nobody would repair its range).
    rpc_.call(c.addr, msg::Ping{}, cfg_.rpc_timeout_ms, [this, c, closer](Result<Message> r) {
      if (r && r->sender.id == c.id && closer() &&
          (state_ == State::member || state_ == State::leaving))
        set_predecessor(c);
    });
    return;
  }
  if (pred->id == c.id) return;
  // Zave's rectify: a predecessor that is dead gives way to the candidate. Check it first.
  NodeRef old = *pred;
  rpc_.call(old.addr, msg::Ping{}, cfg_.rpc_timeout_ms, [this, old, c](Result<Message> r) {
    if (r || routing_.heard_within(old.addr, clock_.now_ms(), cfg_.stabilize_ms)) return;
    auto p = routing_.predecessor();
    if (!p || p->id != old.id) return;
    routing_.note_failed(old, clock_.now_ms());
    set_predecessor(c);
  });
}

void ChordNode::on_leaving(const NodeRef& who, const msg::Leaving& m) {
  bool was_succ = !routing_.successors().empty() && routing_.successor().id == who.id;
  bool was_pred = routing_.predecessor() && routing_.predecessor()->id == who.id;
  routing_.forget(who.id);
  if (was_succ) {
    // Take the leaver's successors as ours; stabilize confirms them right away.
    std::vector<NodeRef> rest = routing_.successors();
    // Of the leaver's successors, only those that proved who they are (it may lie about them).
    std::vector<NodeRef> merged;
    for (auto& n : m.succs)
      if (routing_.proven(n)) merged.push_back(n);
    merged.insert(merged.end(), rest.begin(), rest.end());
    if (!merged.empty()) {
      bool wrapped = false;
      std::vector<NodeRef> tail(merged.begin() + 1, merged.end());
      auto list = routing_.successor_list(merged.front(), tail, &wrapped);
      if (merged.front().id != self_.id) routing_.set_successors(std::move(list), wrapped);
    }
    successors_changed();
    if (state_ == State::member) arm(kStabilize, 0);
  }
  if (was_pred && m.pred && m.pred->id != self_.id) set_predecessor(*m.pred);
}

}  // namespace peerstore
