// InboxSet: the grants a storage node keeps for one user. It takes only verified grants to that
// user; a newer grant in a slot replaces the older (a withdrawal too) and an older one never
// replaces a newer (a replay); the caps per grantor and per inbox hold; and replicas given the
// same grants in any order, capped or not, end with the same set.
#include "dht/inbox_set.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <climits>
#include <random>

#include "sim_seed.h"
#include "test_data.h"

namespace peerstore {
namespace {

SigningKey user(uint64_t n) {
  return sim::make_user(n);
}

Grant grant_of(const SigningKey& grantor, const SigningKey& to, uint64_t lineage, uint64_t epoch,
               int64_t time_ns) {
  auto g = sim::make_grant(grantor, to, lineage, epoch, time_ns);
  REQUIRE(g);
  return *g;
}

TEST_CASE("inbox set: only verified grants to its user") {
  SigningKey alice = user(1), bob = user(2), carol = user(3);
  Grant g = grant_of(alice, bob, 1, 0, 100);
  CHECK(InboxSet::check(bob.public_key(), g.encode()).ok());
  CHECK(InboxSet::check(carol.public_key(), g.encode()).code() == Errc::corrupt);
  Grant forged = g;
  forged.time_ns = 101;
  CHECK(InboxSet::check(bob.public_key(), forged.encode()).code() == Errc::corrupt);
  CHECK(InboxSet::check(bob.public_key(), Bytes{0x90}).code() == Errc::corrupt);
  CHECK(InboxSet::key_for(bob.public_key()) != InboxSet::key_for(carol.public_key()));

  InboxSet set(bob.public_key());
  CHECK(set.add(g));
  CHECK_FALSE(set.add(g));  // already there
  set.add_trusted({g.encode(), Bytes{1, 2, 3}, grant_of(alice, carol, 2, 0, 5).encode()});
  CHECK(set.size() == 1);
}

TEST_CASE("inbox set: the newer grant holds a slot; a replay of an older one changes nothing") {
  SigningKey alice = user(1), bob = user(2);
  Grant first = grant_of(alice, bob, 1, 0, 100);
  Grant revoked = grant_of(alice, bob, 1, 1, 200);  // after a revoke: the next epoch
  InboxSet set(bob.public_key());
  CHECK(set.add(first));
  CHECK(set.add(revoked));
  CHECK(set.size() == 1);
  CHECK(set.encoded() == std::vector<Bytes>{revoked.encode()});
  CHECK_FALSE(set.add(first));  // replayed by a storage node: refused
  CHECK(set.encoded() == std::vector<Bytes>{revoked.encode()});
  // A second folder from the same grantor is a second slot.
  CHECK(set.add(grant_of(alice, bob, 2, 0, 150)));
  CHECK(set.size() == 2);
  // A withdrawal of the first slot, at a later epoch.
  Id256 l1;
  put_u64be(l1.b.data(), 1);
  Grant w = Grant::withdraw(alice, bob.public_key(), l1, 2, 300);
  CHECK(set.add(w));
  CHECK(set.size() == 2);
  auto enc = set.encoded();
  CHECK(std::find(enc.begin(), enc.end(), w.encode()) != enc.end());
  CHECK(std::find(enc.begin(), enc.end(), revoked.encode()) == enc.end());
}

TEST_CASE("inbox set: caps per grantor and per inbox keep the newest") {
  SigningKey bob = user(2);
  InboxSet set(bob.public_key());
  SigningKey spammer = user(9);
  for (uint64_t i = 0; i < 40; ++i) set.add(grant_of(spammer, bob, 1000 + i, 0, int64_t(i)));
  CHECK(set.size() == InboxSet::kMaxPerGrantor);
  // The oldest of the spammer's grants is refused outright now.
  CHECK_FALSE(set.add(grant_of(spammer, bob, 5000, 0, -1)));
  // Many grantors: the inbox stops at kMaxGrants, keeping the newest.
  for (uint64_t u = 0; u < 40; ++u)
    for (uint64_t i = 0; i < 8; ++i)
      set.add(grant_of(user(100 + u), bob, i, 0, int64_t(1000 + u * 8 + i)));
  CHECK(set.size() == InboxSet::kMaxGrants);
  // The newest grants are in (sealing is randomized: compare grantor and time); the spammer's
  // old ones (times 24..39) went first, then the oldest of the others.
  auto enc = set.encoded();
  int64_t oldest = INT64_MAX;
  bool has_newest = false;
  for (auto& b : enc) {
    auto g = Grant::decode(b);
    REQUIRE(g.ok());
    CHECK(g->grantor != spammer.public_key());
    oldest = std::min(oldest, g->time_ns);
    has_newest |= g->grantor == user(100 + 39).public_key() && g->time_ns == 1000 + 39 * 8 + 7;
  }
  CHECK(has_newest);
  CHECK(oldest == 1000 + 40 * 8 - int64_t(InboxSet::kMaxGrants));
}

TEST_CASE("inbox set: replicas given the same grants in any order end the same") {
  uint64_t seed = sim::seed_or(7070);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  std::mt19937_64 rng(seed);
  SigningKey bob = user(2);
  // Few grantors and slots, many epochs and times: replacements, replays and both caps at work.
  std::vector<Grant> all;
  for (int i = 0; i < 400; ++i) {
    SigningKey from = user(10 + rng() % 24);
    uint64_t lineage = rng() % 24;
    if (rng() % 10 == 0) {
      Id256 l;
      put_u64be(l.b.data(), lineage);
      all.push_back(Grant::withdraw(from, bob.public_key(), l, rng() % 4, int64_t(rng() % 1000)));
    } else {
      all.push_back(grant_of(from, bob, lineage, rng() % 4, int64_t(rng() % 1000)));
    }
  }
  InboxSet reference(bob.public_key());
  for (auto& g : all) reference.add(g);
  CHECK(reference.size() == InboxSet::kMaxGrants);  // the caps are at work
  for (int round = 0; round < 4; ++round) {
    // Two replicas, each given half in its own order, then each other's sets.
    std::shuffle(all.begin(), all.end(), rng);
    InboxSet a(bob.public_key()), b(bob.public_key());
    for (size_t i = 0; i < all.size(); ++i) (i % 2 ? a : b).add(all[i]);
    InboxSet a2 = a;
    a2.add_trusted(b.encoded());
    b.add_trusted(a.encoded());
    CHECK(a2.digest() == b.digest());
    CHECK(a2.digest() == reference.digest());
  }
}

}  // namespace
}  // namespace peerstore
