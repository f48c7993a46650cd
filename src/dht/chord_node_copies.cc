// ChordNode: counting how many copies of blocks the ring holds where readers look for them (the
// peerstore.replicas attribute of a mount).
#include <algorithm>
#include <numeric>

#include "dht/chord_node.h"
#include "dht/replica_store.h"
#include "dht/ring.h"

namespace peerstore {

struct ChordNode::CopyCount {
  std::vector<Id256> ids;        // as asked
  std::vector<size_t> order;     // indices of ids, in ring order from this node
  std::vector<uint32_t> counts;  // by index of ids
  CopiesDone done;
};

void ChordNode::count_copies(std::vector<Id256> ids, CopiesDone done) {
  if (state_ != State::member) return done(fail(Errc::unavailable, "not a ring member"));
  auto job = std::make_shared<CopyCount>();
  job->order.resize(ids.size());
  std::iota(job->order.begin(), job->order.end(), size_t(0));
  // In ring order, a lookup's replica set covers every id up to its owner at once.
  std::sort(job->order.begin(), job->order.end(), [&](size_t a, size_t b) {
    return ring::distance(self_.id, ids[a]) < ring::distance(self_.id, ids[b]);
  });
  job->counts.assign(ids.size(), 0);
  job->ids = std::move(ids);
  job->done = std::move(done);
  count_copies_from(std::move(job), 0);
}

void ChordNode::count_copies_from(std::shared_ptr<CopyCount> job, size_t pos) {
  if (pos >= job->order.size()) return job->done(std::move(job->counts));
  if (state_ != State::member) return job->done(fail(Errc::unavailable, "left the ring"));
  const Id256 first = job->ids[job->order[pos]];
  lookup(first, [this, job, pos, first](Result<Lookup::Outcome> r) {
    std::vector<NodeRef> replicas;
    if (r) replicas = replicas_of(r->successors);
    if (replicas.empty()) return count_copies_from(job, pos + 1);  // no copy found: 0
    // Every id from `first` up to the owner has the same replica set.
    const Id256& owner = replicas.front().id;
    size_t end = pos;
    while (end < job->order.size() &&
           ring::distance(first, job->ids[job->order[end]]) <= ring::distance(first, owner))
      ++end;
    if (end == pos) end = pos + 1;
    // One Offer per member and per message's worth of ids.
    struct Round {
      size_t pending = 0;
    };
    auto round = std::make_shared<Round>();
    for (size_t from = pos; from < end; from += kMaxEntriesPerMessage) {
      size_t to = std::min(end, from + kMaxEntriesPerMessage);
      msg::Offer offer;
      for (size_t i = from; i < to; ++i) {
        const Id256& id = job->ids[job->order[i]];
        offer.entries.push_back(
            KeyEntry{KeyKind::block, id, Id256{}, ReplicaStore::block_fingerprint(id)});
      }
      for (auto& n : replicas) {
        ++round->pending;
        rpc_.call(n.addr, offer, cfg_.rpc_timeout_ms,
                  [this, job, round, from, to, end](Result<Message> r) {
                    const msg::Want* want = r ? std::get_if<msg::Want>(&r->body) : nullptr;
                    if (want) {
                      std::vector<bool> lacks(to - from);
                      for (uint32_t i : want->indices)
                        if (i < lacks.size()) lacks[i] = true;
                      for (size_t i = from; i < to; ++i)
                        if (!lacks[i - from]) ++job->counts[job->order[i]];
                    }
                    if (--round->pending == 0) count_copies_from(job, end);
                  });
      }
    }
  });
}

}  // namespace peerstore
