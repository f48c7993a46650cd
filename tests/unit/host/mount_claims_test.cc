// MountClaims: the mount's claim hook. A commit's blocks of a volume it writes are claimed on
// the ring through its worker (never on the caller's thread) and recorded in the claim book; a
// volume it was not told of claims nothing and answers at once; a read-only volume's keys are
// refused; a failed send is resumed before the next claims; the claims left pending by a run
// that ended in the middle are sent again when the next run adds the volume.
#include "host/mount_claims.h"

#include <doctest/doctest.h>

#include <future>
#include <set>

#include "support/model_claim_sink.h"

namespace peerstore::host {
namespace {

using ModelSink = test::ModelClaimSink;

VolumeKeys keys_of(uint8_t n) {
  Secret seed(32);
  seed.data()[0] = n;
  return VolumeKeys{SigningKey::from_seed(seed), Secret(32), Secret(32)};
}

BlockId block(uint8_t n) {
  BlockId b;
  b.b.fill(n);
  return b;
}

Status claim_now(MountClaims& c, const VolumeId& v, std::vector<BlockId> ids) {
  std::promise<Status> p;
  c.claim(v, std::move(ids), [&](Status st) { p.set_value(st); });
  return p.get_future().get();
}

TEST_CASE(
    "mount claims: the collector's cancel runs on the worker and frees what nothing reaches") {
  MemoryKvTable table;
  ModelSink sink;
  VolumeKeys home = keys_of(1);
  MountClaims claims(table, sink, block(0xd));
  REQUIRE(claims.add_volume(home).ok());
  REQUIRE(claim_now(claims, home.id(), {block(1), block(2), block(3), block(4)}).ok());
  auto cancel_now = [&](const VolumeId& v, std::set<BlockId> reached) {
    std::promise<Result<Claimant::Counts>> p;
    std::thread::id asked;
    claims.cancel_unreached(
        v,
        [&](const BlockId& b) {
          asked = std::this_thread::get_id();
          return reached.contains(b);
        },
        [&](Result<Claimant::Counts> r) { p.set_value(std::move(r)); });
    auto r = p.get_future().get();
    if (asked != std::thread::id()) CHECK(asked != std::this_thread::get_id());
    return r;
  };
  auto r = cancel_now(home.id(), {block(1), block(2)});
  REQUIRE(r.ok());
  CHECK(r->sent == 2);
  CHECK(sink.live(block(1)) == 1);
  CHECK(sink.live(block(2)) == 1);
  CHECK(sink.live(block(3)) == 0);
  CHECK(sink.releasable(block(4)));
  // A volume it was not told of: nothing.
  r = cancel_now(keys_of(2).id(), {});
  REQUIRE(r.ok());
  CHECK(r->sent == 0);
}

TEST_CASE("mount claims: a volume's blocks are claimed on the worker and recorded") {
  MemoryKvTable table;
  ModelSink sink;
  PublicKey device = block(0xd);
  VolumeKeys home = keys_of(1);
  {
    MountClaims claims(table, sink, device);
    REQUIRE(claims.add_volume(home).ok());
    REQUIRE(claim_now(claims, home.id(), {block(1), block(2)}).ok());
    CHECK(sink.live(block(1)) == 1);
    CHECK(sink.live(block(2)) == 1);
    CHECK(sink.caller != std::this_thread::get_id());
    // Another volume: nothing sent, answered at once.
    REQUIRE(claim_now(claims, keys_of(2).id(), {block(3)}).ok());
    CHECK(sink.live(block(3)) == 0);
    // A read-only member's keys cannot claim.
    VolumeKeys reader{std::nullopt, Secret(32), Secret(32)};
    reader.reader_id = block(9);
    CHECK(claims.add_volume(reader).code() == Errc::permission);

    // A failed send: the error goes to the caller (the upload queue retries), and what it left
    // pending goes first with the next claims.
    sink.fail_next = 1;
    CHECK_FALSE(claim_now(claims, home.id(), {block(4)}).ok());
    CHECK(sink.live(block(4)) == 0);
    REQUIRE(claim_now(claims, home.id(), {block(5)}).ok());
    CHECK(sink.live(block(4)) == 1);
    CHECK(sink.live(block(5)) == 1);

    // Left pending at the end of a run.
    sink.fail_next = 1;
    CHECK_FALSE(claim_now(claims, home.id(), {block(6)}).ok());
  }
  ClaimBook book(table);
  auto e = book.find(home.id(), std::vector<BlockId>{block(1), block(6)});
  REQUIRE(e.ok());
  CHECK((*e)[0] == ClaimEntry{0, ClaimState::live});
  CHECK((*e)[1] == ClaimEntry{0, ClaimState::claiming});
  // The next run sends it when it adds the volume.
  MountClaims again(table, sink, device);
  REQUIRE(again.add_volume(home).ok());
  REQUIRE(claim_now(again, home.id(), {}).ok());  // after the resume, on the same worker
  CHECK(sink.live(block(6)) == 1);
}

}  // namespace
}  // namespace peerstore::host
