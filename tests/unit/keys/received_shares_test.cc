// ReceivedShares: a user's computer turns inbox reads into shares. A grant adds a share, a newer
// one changes it, a withdrawal removes it; a replayed older grant, a slot missing from a read,
// and grants that are forged, addressed to someone else or sealed to someone else change
// nothing.
#include "keys/received_shares.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "../common/must.h"
#include "key_samples.h"

namespace peerstore {
namespace {

using test::must;
using Kind = ReceivedShares::Change::Kind;

using test::secret_of;
using test::user_with_seed;

// A grant of the folder of `lineage` (its slot) at `epoch` and `time_ns`.
Bytes grant(const SigningKey& grantor, const SigningKey& to, uint8_t lineage, uint64_t epoch,
            int64_t time_ns, const std::string& folder = "Photos", bool write = false) {
  GrantContent c;
  c.lineage.b.fill(lineage);
  c.volume = c.lineage;
  c.volume.b[0] = uint8_t(epoch);  // a revoke rotates the volume to a new id
  c.read_key = secret_of(uint8_t(0x40 + epoch));
  c.convergence = secret_of(0x53);
  if (write) c.signing_seed = secret_of(0x54);
  c.folder = folder;
  c.grantor = grantor.public_key();
  c.recipient = to.public_key();
  c.epoch = epoch;
  c.time_ns = time_ns;
  return must(Grant::make(grantor, c)).encode();
}

ReceivedShares::SlotKey slot(const SigningKey& grantor, const SigningKey& to, uint8_t lineage) {
  Id256 l;
  l.b.fill(lineage);
  return {grantor.public_key(), Grant::slot_for(grantor, l, to.public_key())};
}

TEST_CASE("received shares: a grant adds, a newer one changes, a withdrawal removes") {
  SigningKey alice = user_with_seed(1), bob = user_with_seed(2), carol = user_with_seed(3);
  ReceivedShares shares(bob);
  auto photos = slot(alice, bob, 7), docs = slot(carol, bob, 8);
  Bytes g1 = grant(alice, bob, 7, 0, 100), d1 = grant(carol, bob, 8, 0, 50, "Docs", true);

  auto ch = shares.update({g1, d1});
  REQUIRE(ch.size() == 2);
  CHECK(std::count(ch.begin(), ch.end(), ReceivedShares::Change{Kind::added, photos}) == 1);
  CHECK(std::count(ch.begin(), ch.end(), ReceivedShares::Change{Kind::added, docs}) == 1);
  REQUIRE(shares.shares().size() == 2);
  CHECK(shares.shares().at(photos).folder == "Photos");
  CHECK_FALSE(shares.shares().at(photos).writable());
  CHECK(shares.shares().at(docs).writable());
  CHECK(shares.update({g1, d1}).empty());  // the same read again

  // A revoke of someone else rotated the keys: epoch 1, a new volume id and read key.
  Bytes g2 = grant(alice, bob, 7, 1, 90, "Photos 2026");
  CHECK(shares.update({g2, d1}) == std::vector<ReceivedShares::Change>{{Kind::changed, photos}});
  CHECK(shares.shares().at(photos).epoch == 1);
  CHECK(shares.shares().at(photos).folder == "Photos 2026");
  CHECK(shares.shares().at(photos).read_key == secret_of(0x41));

  // A storage node replays the epoch-0 grant, alone or beside the newer one: nothing changes.
  CHECK(shares.update({g1}).empty());
  CHECK(shares.update({g1, g2, d1}).empty());
  CHECK(shares.shares().at(photos).epoch == 1);

  // A read without Carol's grant (a node dropped it) keeps her share.
  CHECK(shares.update({g2}).empty());
  CHECK(shares.shares().count(docs) == 1);

  // Alice withdraws; then her old grants come back from a rolled-back node: the share stays gone.
  Id256 lineage;
  lineage.b.fill(7);
  Bytes w = Grant::withdraw(alice, bob.public_key(), lineage, 1, 200).encode();
  CHECK(shares.update({w, d1}) == std::vector<ReceivedShares::Change>{{Kind::removed, photos}});
  CHECK(shares.shares().count(photos) == 0);
  CHECK(shares.update({g1, g2, d1}).empty());
  CHECK(shares.shares().count(photos) == 0);
  // A later grant of the same folder brings it back.
  CHECK(shares.update({grant(alice, bob, 7, 1, 300)}) ==
        std::vector<ReceivedShares::Change>{{Kind::added, photos}});
  CHECK(shares.rejected() == 0);
}

TEST_CASE("received shares: forged, misaddressed and missealed grants change nothing") {
  SigningKey alice = user_with_seed(1), bob = user_with_seed(2), eve = user_with_seed(3);
  ReceivedShares shares(bob);
  Bytes good = grant(alice, bob, 7, 0, 100);
  REQUIRE(shares.update({good}).size() == 1);

  // A storage node makes Alice's grant look newer: the signature no longer verifies.
  Grant forged = must(Grant::decode(good));
  forged.epoch = 5;
  // Eve's grant to herself, re-addressed to Bob: the signature covers the recipient.
  Grant moved = must(Grant::decode(grant(eve, eve, 9, 0, 100)));
  moved.recipient = bob.public_key();
  // Eve seals to herself but addresses and signs the envelope to Bob: it does not open.
  Grant missealed = must(Grant::decode(grant(eve, eve, 9, 0, 100)));
  missealed.recipient = bob.public_key();
  missealed.signature = eve.sign(missealed.signed_part());
  CHECK(missealed.verify());
  Bytes to_eve = grant(alice, eve, 7, 3, 500);

  CHECK(shares
            .update(
                {forged.encode(), moved.encode(), missealed.encode(), to_eve, Bytes{0x90}, Bytes{}})
            .empty());
  CHECK(shares.rejected() == 6);
  REQUIRE(shares.shares().size() == 1);
  CHECK(shares.shares().begin()->second.epoch == 0);
}

// A restarted mount remembers what it placed (the link records carry slot and order): an older
// grant replayed to it is not taken, the same grant is no change, a withdrawal removes it.
TEST_CASE("received shares: what an earlier run accepted is remembered") {
  SigningKey alice = user_with_seed(1), bob = user_with_seed(2);
  auto photos = slot(alice, bob, 7);
  Bytes old_grant = grant(alice, bob, 7, 0, 100), current = grant(alice, bob, 7, 1, 200);
  ReceivedShares::Order order;
  {
    ReceivedShares first(bob);
    first.update({current});
    REQUIRE(first.order_of(photos) != nullptr);
    order = *first.order_of(photos);
    CHECK(order.epoch == 1);
    CHECK(order.time_ns == 200);
  }
  ReceivedShares again(bob);
  auto content = must(must(Grant::decode(current)).open(bob));
  again.remember(photos, order, std::move(content));
  CHECK(again.shares().size() == 1);
  CHECK(again.update({old_grant}).empty());
  CHECK(again.update({current}).empty());
  CHECK(again.shares().at(photos).epoch == 1);
  Id256 lineage;
  lineage.b.fill(7);
  auto ch = again.update({Grant::withdraw(alice, bob.public_key(), lineage, 1, 300).encode()});
  REQUIRE(ch.size() == 1);
  CHECK(ch[0] == ReceivedShares::Change{Kind::removed, photos});
  CHECK(again.shares().empty());
}

}  // namespace
}  // namespace peerstore
