// ClaimSet: the claims a replica keeps on one block. A block goes only when it has claims and
// every one was cancelled by the secret behind its tag, a grace period ago; replicas that learn
// claims and cancels in any order, and merge in any order, end with the same set; a forged
// cancel cancels nothing; the encoding is checked as untrusted.
#include "dht/claim_set.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "common/msgpack_codec.h"
#include "sim_seed.h"

namespace peerstore {
namespace {

Id256 secret_of(uint64_t n) {
  Id256 s;
  std::mt19937_64 rng(n * 7919 + 1);
  for (auto& b : s.b) b = uint8_t(rng());
  return s;
}

constexpr int64_t kGrace = 86'400'000;

TEST_CASE("claim set: a block goes once every claim is cancelled, a grace period later") {
  ClaimSet set;
  CHECK_FALSE(set.releasable(0, 0));  // no claims: kept (blocks from before claims)
  Id256 a = secret_of(1), b = secret_of(2);
  CHECK(set.add(claim_tag(a), 0, 10) == ClaimSet::Added::added);
  CHECK(set.add(claim_tag(a), 0, 11) == ClaimSet::Added::known);
  CHECK(set.add(claim_tag(b), 3, 12) == ClaimSet::Added::added);
  CHECK(set.live() == 2);
  CHECK(set.cancel(a, 100));
  CHECK_FALSE(set.cancel(a, 101));                         // once
  CHECK_FALSE(set.releasable(100 + kGrace * 10, kGrace));  // b still needs it
  CHECK(set.cancel(b, 200));
  CHECK(set.live() == 0);
  CHECK_FALSE(set.releasable(200 + kGrace - 1, kGrace));
  CHECK(set.releasable(200 + kGrace, kGrace));
  // A claim again after the cancel needs a new secret: the old tag stays cancelled.
  CHECK(set.add(claim_tag(a), 0, 300) == ClaimSet::Added::cancelled_before);
  CHECK(set.releasable(200 + kGrace, kGrace));
}

TEST_CASE("claim set: a writer's claims, cancelled with the secrets only its keys derive") {
  Secret seed(32);
  seed.data()[0] = 42;
  VolumeKeys keys{SigningKey::from_seed(seed), Secret(32), Secret(32)};
  auto mine = ClaimSecrets::of(keys);
  REQUIRE(mine.ok());
  Id256 block = secret_of(9), device = secret_of(10), other_device = secret_of(11);
  ClaimSet set;
  CHECK(set.add(mine->tag(device, block, 0), 0, 10) == ClaimSet::Added::added);
  CHECK(set.add(mine->tag(other_device, block, 0), 0, 10) == ClaimSet::Added::added);
  // Another volume's writer, or a guess, cannot cancel this device's claim.
  Secret other_seed(32);
  other_seed.data()[0] = 43;
  auto theirs =
      ClaimSecrets::of(VolumeKeys{SigningKey::from_seed(other_seed), Secret(32), Secret(32)});
  REQUIRE(theirs.ok());
  CHECK(set.cancel(theirs->secret(device, block, 0), 20));  // a tombstone for a claim nobody made
  CHECK(set.live() == 2);
  CHECK(set.cancel(mine->secret(device, block, 0), 30));
  CHECK(set.live() == 1);  // the other computer's claim stands
  CHECK(set.cancel(mine->secret(other_device, block, 0), 40));
  CHECK(set.live() == 0);
  CHECK(set.releasable(40 + kGrace, kGrace));
}

TEST_CASE("claim set: a cancel that comes before its claim, and a forged one") {
  ClaimSet set;
  Id256 s = secret_of(5);
  CHECK(set.cancel(s, 10));  // a tombstone: repair brought the cancel first
  CHECK(set.add(claim_tag(s), 4, 20) == ClaimSet::Added::cancelled_before);
  CHECK(set.claims().front().number == 4);
  CHECK(set.releasable(10 + kGrace, kGrace));

  ClaimSet live;
  Id256 real = secret_of(6);
  REQUIRE(live.add(claim_tag(real), 0, 0) == ClaimSet::Added::added);
  // Anyone can send a cancel, but only the claimant's secret hashes to its tag.
  for (uint64_t i = 100; i < 120; ++i) live.cancel(secret_of(i), 1);
  CHECK(live.live() == 1);
  CHECK_FALSE(live.releasable(kGrace * 100, kGrace));
}

TEST_CASE("claim set: at most 64 records; a tombstone makes room, a live claim never does") {
  ClaimSet set;
  for (uint64_t i = 0; i < ClaimSet::kMaxClaims; ++i)
    REQUIRE(set.add(claim_tag(secret_of(i)), 0, int64_t(i)) == ClaimSet::Added::added);
  CHECK(set.add(claim_tag(secret_of(1000)), 0, 99) == ClaimSet::Added::full);
  CHECK_FALSE(set.cancel(secret_of(1001), 99));  // an unknown cancel finds no room either
  CHECK(set.cancel(secret_of(3), 50));
  CHECK(set.cancel(secret_of(7), 40));  // the oldest cancel learned
  CHECK(set.add(claim_tag(secret_of(1000)), 0, 99) == ClaimSet::Added::added);
  CHECK(set.size() == ClaimSet::kMaxClaims);
  bool has7 = false, has3 = false;
  for (const Claim& c : set.claims()) {
    has7 = has7 || c.tag == claim_tag(secret_of(7));
    has3 = has3 || c.tag == claim_tag(secret_of(3));
  }
  CHECK_FALSE(has7);
  CHECK(has3);
  CHECK(set.live() == ClaimSet::kMaxClaims - 1);
}

TEST_CASE("claim set: replicas that learn in any order and merge in any order converge") {
  uint64_t seed = sim::seed_or(4242);
  for (uint64_t round = 0; round < 200; ++round) {
    std::mt19937_64 rng(seed + round);
    // Operations of 6 claimants: each claims, and some cancel.
    struct Op {
      bool cancel;
      uint64_t who;
    };
    std::vector<Op> ops;
    for (uint64_t who = 0; who < 6; ++who) {
      ops.push_back({false, who});
      if (rng() % 2) ops.push_back({true, who});
    }
    // Three replicas, each seeing a random part of the operations in a random order.
    ClaimSet r[3];
    for (auto& rep : r) {
      std::vector<Op> seen = ops;
      std::shuffle(seen.begin(), seen.end(), rng);
      seen.resize(rng() % (seen.size() + 1));
      for (const Op& op : seen) {
        if (op.cancel)
          rep.cancel(secret_of(op.who), 1);
        else
          rep.add(claim_tag(secret_of(op.who)), uint32_t(op.who + 1), 1);
      }
    }
    // Gossip until no merge changes anything, pairs in random order.
    for (int pass = 0; pass < 4; ++pass)
      for (int k = 0; k < 6; ++k) {
        int a = int(rng() % 3), b = int(rng() % 3);
        if (a != b) r[a].merge(r[b], 2);
      }
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) r[a].merge(r[b], 3);
    CHECK_MESSAGE(r[0].digest() == r[1].digest(), "seed " << seed + round);
    CHECK_MESSAGE(r[1].digest() == r[2].digest(), "seed " << seed + round);
    // A claimant's cancel is final wherever it reached.
    for (const Claim& c : r[0].claims())
      if (c.cancelled()) CHECK(claim_tag(*c.secret) == c.tag);
  }
}

TEST_CASE("claim set: the records, and bytes that are not one") {
  ClaimSet set;
  set.add(claim_tag(secret_of(1)), 7, 1000);
  set.add(claim_tag(secret_of(2)), 0, 2000);
  set.cancel(secret_of(2), 3000);
  set.cancel(secret_of(3), 4000);
  auto records = set.encoded();
  REQUIRE(records.size() == 3);
  // In any order and repeated, the records give back the set (its times are this replica's).
  std::vector<Bytes> shuffled{records[2], records[0], records[1], records[0]};
  ClaimSet back;
  back.add_trusted(shuffled);
  CHECK(back.encoded() == records);
  CHECK(back.digest() == set.digest());
  for (size_t i = 0; i < 3; ++i) {
    auto c = ClaimSet::decode_claim(records[i]);
    REQUIRE(c.ok());
    CHECK(c->tag == set.claims()[i].tag);
    CHECK(c->number == set.claims()[i].number);
    CHECK(c->secret == set.claims()[i].secret);
  }

  auto corrupt = [](const Bytes& b) { return ClaimSet::decode_claim(b).code() == Errc::corrupt; };
  const Bytes& e = records[0];
  CHECK(corrupt({}));
  CHECK(corrupt(Bytes(e.begin(), e.end() - 1)));
  Bytes longer = e;
  longer.push_back(0);
  CHECK(corrupt(longer));
  // A cancel whose secret is not the tag's: flip a byte inside a secret.
  ClaimSet one;
  one.cancel(secret_of(9), 1);
  Bytes forged = one.encoded().at(0);
  Id256 s = secret_of(9);
  auto at = std::search(forged.begin(), forged.end(), s.b.begin(), s.b.end());
  REQUIRE(at != forged.end());
  *at ^= 1;
  CHECK(corrupt(forged));
  ClaimSet unchanged;
  unchanged.add_trusted({forged});
  CHECK(unchanged.empty());
  // An unknown version, a number out of range.
  auto encode_raw = [](uint64_t version, uint64_t number) {
    mp::Buffer buf;
    mp::Packer pk(buf);
    pk.pack_array(4);
    pk.pack(version);
    mp::pack_bin(pk, claim_tag(secret_of(1)).view());
    pk.pack(number);
    pk.pack_nil();
    return mp::to_bytes(buf);
  };
  CHECK(ClaimSet::decode_claim(encode_raw(1, 5)).ok());
  CHECK(corrupt(encode_raw(2, 5)));
  CHECK(corrupt(encode_raw(1, uint64_t(UINT32_MAX) + 1)));
  // A store's records past the cap keep the cap.
  std::vector<Bytes> many;
  for (uint64_t i = 0; i <= ClaimSet::kMaxClaims; ++i)
    many.push_back(ClaimSet::encode_claim(Claim{claim_tag(secret_of(i)), 0, std::nullopt, 0}));
  ClaimSet capped;
  capped.add_trusted(many);
  CHECK(capped.size() == ClaimSet::kMaxClaims);
}

}  // namespace
}  // namespace peerstore
