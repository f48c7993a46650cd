// BlockIo: sealed blocks of one volume, buffered until a commit writes them with the head in
// one transaction. Reads must see queued blocks before the commit, and a block that comes
// back damaged must be reported as corrupt rather than returned.
#include <doctest/doctest.h>

#include "../common/must.h"
#include "fs_harness.h"
#include "io_harness.h"

namespace peerstore {
namespace {

using test::IoHarness;
using test::must;

TEST_CASE("BlockIo: queued blocks are readable before the commit and stored by it") {
  IoHarness h;
  auto p = h.io.write(to_bytes("chunk one"));
  REQUIRE(p.ok());
  CHECK(h.io.unstored_cost() == LocalStore::cost_of_block(sealed_size(default_write_suite(), 9)));
  CHECK(h.store.get(p->id).code() == Errc::not_found);  // nothing written yet
  CHECK(must(h.io.read(*p)) == to_bytes("chunk one"));

  // The same plaintext seals to the same block: queued once.
  auto again = h.io.write(to_bytes("chunk one"));
  CHECK(*again == *p);
  CHECK(h.io.unstored_cost() == LocalStore::cost_of_block(sealed_size(default_write_suite(), 9)));

  VolumeId vol;
  vol.b.fill(4);
  REQUIRE(h.io.commit(vol, {to_bytes("head")}).ok());
  CHECK(h.io.unstored_cost() == 0);
  CHECK(must(h.store.contains(p->id)));
  CHECK(must(h.store.heads(vol)) == std::vector<Bytes>{to_bytes("head")});
  CHECK(must(h.io.read(*p)) == to_bytes("chunk one"));  // now from the store
  CHECK(hash_block(must(h.store.get(p->id)), p->suite) == p->id);
}

TEST_CASE("BlockIo: missing and damaged blocks") {
  IoHarness h;
  BlockPtr missing;
  missing.id.b.fill(9);
  CHECK(h.io.read(missing).code() == Errc::not_found);

  test::TamperingStore tampering(h.store);
  BlockIo io(tampering, h.convergence);
  auto p = io.write(to_bytes("some content"));
  REQUIRE(p.ok());
  VolumeId vol;
  REQUIRE(io.commit(vol, {}).ok());
  tampering.tamper(p->id);
  CHECK(io.read(*p).code() == Errc::corrupt);

  BlockPtr wrong_key = *p;
  wrong_key.key[0] ^= 1;
  CHECK(h.io.read(wrong_key).code() == Errc::corrupt);
}

}  // namespace
}  // namespace peerstore
