#include "key_book.h"

#include "dht/replica_store.h"

namespace peerstore::sim {

Status KeyBook::put_block(SimCluster& c, size_t from, const TestBlock& b) {
  auto st = c.put_block(from, b.id, b.data);
  if (st) blocks_[b.id] = b.data;
  return st;
}

Status KeyBook::put_record(SimCluster& c, size_t from, KeyKind kind, const Id256& owner,
                           const Bytes& record) {
  auto st = c.put_records(from, kind, owner, {record});
  if (!st) return st;
  Id256 key = RecordSet::key_for(kind, owner);
  auto it = records_.find(key);
  if (it == records_.end()) it = records_.emplace(key, Rec{{}, RecordSet(kind, owner)}).first;
  (void)it->second.set.add(record);
  it->second.fp = ReplicaStore::record_fingerprint(kind, key, it->second.set.digest());
  return st;
}

Status KeyBook::put_heads(SimCluster& c, size_t from, const VolumeKeys& v, const Bytes& head) {
  return put_record(c, from, KeyKind::heads, v.id(), head);
}

Status KeyBook::put_grant(SimCluster& c, size_t from, const PublicKey& user, const Bytes& grant) {
  return put_record(c, from, KeyKind::inbox, user, grant);
}

Status KeyBook::put_claim(SimCluster& c, size_t from, const Id256& block, const Bytes& claim) {
  return put_record(c, from, KeyKind::claims, block, claim);
}

size_t KeyBook::fill(SimCluster& c, size_t blocks, size_t volumes) {
  // Writes go out 64 at a time, like a client uploading in parallel.
  auto failed = std::make_shared<size_t>(0);
  auto in_flight = std::make_shared<size_t>(0);
  auto wait_below = [&](size_t n) {
    int64_t deadline = c.net().now_ms() + 120000;
    while (*in_flight > n && c.net().now_ms() < deadline)
      if (!c.net().run_one()) break;
  };
  for (size_t i = 0; i < blocks; ++i) {
    wait_below(63);
    auto b = std::make_shared<TestBlock>(random_block(c.rng()));
    ++*in_flight;
    c.node(c.random_live()).put_block(b->id, b->data, [this, b, failed, in_flight](Status st) {
      --*in_flight;
      if (st)
        blocks_[b->id] = b->data;
      else
        ++*failed;
    });
  }
  wait_below(0);
  if (*in_flight) *failed += *in_flight;
  for (size_t i = 0; i < volumes; ++i) {
    keys_.push_back(make_volume(c.rng()()));
    auto& v = keys_.back();
    if (!put_heads(c, c.random_live(), v, make_head(v, {{device_id(1), 1}}))) ++*failed;
  }
  // Users and grants follow from the volume's seed: no draws of their own.
  for (size_t i = keys_.size() - volumes; i < keys_.size(); ++i) {
    uint64_t n = get_u64be(keys_[i].id().b.data());
    auto grantor = make_user(n), user = make_user(n + 1);
    auto grant = make_grant(grantor, user, n, 0, int64_t(i + 1));
    if (!grant || !put_grant(c, c.random_live(), user.public_key(), grant->encode())) ++*failed;
  }
  // Claims on as many blocks, their secrets from the volumes' ids; every other block also gets a
  // cancelled claim, so repair and handoff carry claims and cancels alike. Each block keeps a live
  // claim: one whose claims were all cancelled would be on its way out (BlockRelease), and no
  // longer one the ring must keep at 3 copies.
  auto block = blocks_.begin();
  for (size_t i = keys_.size() - volumes; i < keys_.size() && block != blocks_.end(); ++i) {
    Id256 live = keys_[i].id(), gone = live;
    gone.b[0] ^= 0xff;
    std::vector<Bytes> claims{ClaimSet::encode_claim(Claim{claim_tag(live), 1, std::nullopt, 0})};
    if (i % 2 == 1) claims.push_back(ClaimSet::encode_claim(Claim{claim_tag(gone), 2, gone, 0}));
    Id256 id = (block++)->first;
    for (auto& claim : claims)
      if (!put_claim(c, c.random_live(), id, claim)) ++*failed;
  }
  return *failed;
}

KeyBook::Report KeyBook::check(const SimCluster& c, size_t target, std::optional<int> group) const {
  Report r;
  const auto order = c.ring_order(group);
  const size_t expected = std::min(target, order.size());
  auto holds = [&](size_t i, KeyKind kind, const Id256& key, const Fingerprint* fp) {
    auto e = c.peer(i).node->storage().entry(kind, key);
    return e && (!fp || e->fp == *fp);
  };
  auto one = [&](KeyKind kind, const Id256& key, const Fingerprint* fp) {
    ++r.keys;
    size_t on_replicas = 0;
    for (size_t i : c.successors_in(order, key, target))
      if (holds(i, kind, key, fp)) ++on_replicas;
    if (on_replicas >= expected) return;
    ++r.under;
    bool anywhere = false;
    for (size_t i = 0; i < c.size() && !anywhere; ++i)
      if (c.live(i) && holds(i, kind, key, nullptr)) anywhere = true;
    if (!anywhere) ++r.lost;
    if (r.first_problem.empty())
      r.first_problem = std::string(kind == KeyKind::block   ? "block "
                                    : kind == KeyKind::heads ? "heads "
                                                             : "inbox ") +
                        key.short_hex() + ": " + std::to_string(on_replicas) + " of " +
                        std::to_string(expected) + " copies" +
                        (anywhere ? "" : ", on no live node");
  };
  for (auto& [id, data] : blocks_) one(KeyKind::block, id, nullptr);
  for (auto& [key, rec] : records_) one(rec.set.kind(), key, &rec.fp);
  return r;
}

std::string KeyBook::read_all(SimCluster& c, size_t max_failures_shown) {
  std::string out;
  size_t failures = 0;
  // Block reads go out 64 at a time.
  auto in_flight = std::make_shared<size_t>(0);
  auto errors = std::make_shared<std::vector<std::string>>();
  auto wait_below = [&](size_t n) {
    int64_t deadline = c.net().now_ms() + 120000;
    while (*in_flight > n && c.net().now_ms() < deadline)
      if (!c.net().run_one()) break;
  };
  for (auto& [id, data] : blocks_) {
    wait_below(63);
    ++*in_flight;
    c.node(c.random_live())
        .get_block(id, [in_flight, errors, id = id, data = data](Result<Bytes> r) {
          --*in_flight;
          if (r && *r == data) return;
          errors->push_back("block " + id.short_hex() + ": " +
                            (r ? std::string("wrong bytes") : r.error().message()));
        });
  }
  wait_below(0);
  if (*in_flight) errors->push_back(std::to_string(*in_flight) + " block reads did not finish");
  for (auto& e : *errors)
    if (++failures <= max_failures_shown) out += e + "; ";
  for (auto& [key, rec] : records_) {
    auto r = c.get_records(c.random_live(), rec.set.kind(), rec.set.owner());
    bool ok = r.ok();
    if (ok) {
      RecordSet got(rec.set.kind(), rec.set.owner());
      got.add_trusted(*r);
      ok = got.digest() == rec.set.digest();
    }
    if (ok) continue;
    if (++failures <= max_failures_shown)
      out += std::string(rec.set.kind() == KeyKind::heads ? "heads " : "inbox ") + key.short_hex() +
             ": " + (r ? std::string("wrong set") : r.error().message()) + "; ";
  }
  if (failures) out = std::to_string(failures) + " reads failed: " + out;
  return out;
}

}  // namespace peerstore::sim
