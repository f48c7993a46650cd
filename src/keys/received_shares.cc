#include "keys/received_shares.h"

#include <algorithm>

namespace peerstore {

bool ReceivedShares::newer(const Grant& g, const Id256& hash, const Order& than) {
  if (g.epoch != than.epoch) return g.epoch > than.epoch;
  if (g.time_ns != than.time_ns) return g.time_ns > than.time_ns;
  return hash > than.hash;
}

std::vector<ReceivedShares::Change> ReceivedShares::update(const std::vector<Bytes>& grants) {
  // The newest verified grant of each slot in this read: one read may hold two grants of a slot
  // (replicas that disagree, merged by the reader).
  std::map<SlotKey, std::pair<Grant, Id256>> candidates;
  for (auto& bytes : grants) {
    auto g = Grant::decode(bytes);
    if (!g || g->recipient != user_.public_key() || !g->verify()) {
      ++rejected_;
      continue;
    }
    Id256 hash = g->hash();
    SlotKey key{g->grantor, g->slot};
    auto known = newest_.find(key);
    if (known != newest_.end() && !newer(*g, hash, known->second)) continue;
    auto c = candidates.find(key);
    if (c != candidates.end() &&
        !newer(*g, hash, Order{c->second.first.epoch, c->second.first.time_ns, c->second.second}))
      continue;
    candidates.insert_or_assign(key, std::pair{std::move(*g), hash});
  }
  std::vector<Change> changes;
  for (auto& [key, cand] : candidates) {
    auto& [grant, hash] = cand;
    std::optional<GrantContent> content;
    if (!grant.withdrawn()) {
      auto opened = grant.open(user_);
      if (!opened) {
        ++rejected_;  // the slot keeps what it had
        continue;
      }
      content = std::move(*opened);
    }
    newest_.insert_or_assign(key, Order{grant.epoch, grant.time_ns, hash});
    bool had = shares_.count(key) > 0;
    if (!content) {
      if (had) {
        shares_.erase(key);
        changes.push_back(Change{Change::Kind::removed, key});
      }
      continue;
    }
    shares_.insert_or_assign(key, std::move(*content));
    changes.push_back(Change{had ? Change::Kind::changed : Change::Kind::added, key});
  }
  return changes;
}

}  // namespace peerstore
