#include "dht/inbox_set.h"

#include <algorithm>
#include <map>

#include "dht/record_set.h"

namespace peerstore {

Id256 InboxSet::key_for(const PublicKey& user) {
  return record_set::key("inbox", user);
}

Result<Grant> InboxSet::check(const PublicKey& user, ByteView encoded) {
  PS_ASSIGN(Grant g, Grant::decode(encoded));
  if (g.recipient != user) return fail(Errc::corrupt, "grant to another user");
  if (!g.verify()) return fail(Errc::corrupt, "grant signature does not verify");
  return g;
}

bool InboxSet::newer(const Item& a, const Item& b) {
  if (a.grant.epoch != b.grant.epoch) return a.grant.epoch > b.grant.epoch;
  if (a.grant.time_ns != b.grant.time_ns) return a.grant.time_ns > b.grant.time_ns;
  return a.hash > b.hash;
}

bool InboxSet::add(const Grant& grant) {
  Item item{grant.hash(), grant, grant.encode()};
  for (auto& it : items_)
    if (it.hash == item.hash) return false;
  std::vector<Item> all = std::move(items_);
  all.push_back(std::move(item));
  Id256 added = all.back().hash;
  // One pass over every grant, newest first: a grant stays unless a newer one holds its slot,
  // its grantor has kMaxPerGrantor newer ones, or the inbox has kMaxGrants newer ones. With one
  // order for all three rules the outcome does not depend on the order grants arrived in: what
  // a rule dropped stays below what it kept, and what is kept only ever gets newer.
  std::sort(all.begin(), all.end(), [](const Item& a, const Item& b) { return newer(a, b); });
  std::map<std::pair<PublicKey, Id256>, bool> slots;
  std::map<PublicKey, size_t> per_grantor;
  bool kept_added = false;
  items_.clear();
  for (auto& it : all) {
    if (!slots.emplace(std::pair{it.grant.grantor, it.grant.slot}, true).second) continue;
    size_t& n = per_grantor[it.grant.grantor];
    if (n >= kMaxPerGrantor || items_.size() >= kMaxGrants) continue;
    ++n;
    kept_added |= it.hash == added;
    items_.push_back(std::move(it));
  }
  std::sort(items_.begin(), items_.end(),
            [](const Item& a, const Item& b) { return a.hash < b.hash; });
  return kept_added;
}

void InboxSet::add_trusted(const std::vector<Bytes>& encoded) {
  for (auto& b : encoded) {
    auto g = Grant::decode(b);
    if (g && g->recipient == user_) add(*g);
  }
}

std::vector<Bytes> InboxSet::encoded() const {
  return record_set::encoded(items_);
}

Id256 InboxSet::digest() const {
  return record_set::digest(items_);
}

}  // namespace peerstore
