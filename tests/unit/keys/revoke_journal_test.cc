// RevokeJournal: the record of how far a revoke got. It survives its encoding, holds no key,
// and anything but its exact format is refused as corrupt.
#include "keys/revoke_journal.h"

#include <doctest/doctest.h>

namespace peerstore {
namespace {

RevokeJournal sample() {
  RevokeJournal j;
  j.stage = RevokeJournal::relink;
  j.device.b.fill(1);
  j.revoked.b.fill(2);
  j.old_link = 0x0102030405060708;
  j.nonce.b.fill(0xfe);
  return j;
}

TEST_CASE("RevokeJournal: encodes to 106 bytes and back") {
  RevokeJournal j = sample();
  Bytes b = j.encode();
  REQUIRE(b.size() == RevokeJournal::kEncoded);
  auto back = RevokeJournal::decode(b);
  REQUIRE(back.ok());
  CHECK(back->stage == RevokeJournal::relink);
  CHECK(back->device == j.device);
  CHECK(back->revoked == j.revoked);
  CHECK(back->old_link == j.old_link);
  CHECK(back->nonce == j.nonce);
  CHECK(back->encode() == b);
}

TEST_CASE("RevokeJournal: the new link's number is below 2^63 and never the root") {
  RevokeJournal j = sample();
  CHECK(j.new_link() == 0x7efefefefefefefe);
  j.nonce.b.fill(0);
  CHECK(j.new_link() == 2);
  j.nonce.b[7] = 1;
  CHECK(j.new_link() == 3);
}

TEST_CASE("RevokeJournal: a wrong size, version or stage is corrupt") {
  Bytes b = sample().encode();
  CHECK(RevokeJournal::decode(ByteView(b.data(), b.size() - 1)).code() == Errc::corrupt);
  Bytes longer = b;
  longer.push_back(0);
  CHECK(RevokeJournal::decode(longer).code() == Errc::corrupt);
  CHECK(RevokeJournal::decode(Bytes{}).code() == Errc::corrupt);
  Bytes v = b;
  v[0] = 2;
  CHECK(RevokeJournal::decode(v).code() == Errc::corrupt);
  for (uint8_t stage : {0, 4, 255}) {
    Bytes s = b;
    s[1] = stage;
    CHECK(RevokeJournal::decode(s).code() == Errc::corrupt);
  }
}

}  // namespace
}  // namespace peerstore
