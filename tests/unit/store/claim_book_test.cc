// ClaimBook: a device's record of its claims, per volume and block: entries found and
// rewritten, listed per volume in block order (never another volume's), the 5-byte record in
// fixed bytes, and records from disk checked as untrusted (a bad one is Errc::corrupt, never a
// guess). On LMDB the book survives reopening the store.
#include "store/claim_book.h"

#include <doctest/doctest.h>

#include "../common/temp_dir.h"
#include "store/lmdb_store.h"

namespace peerstore {
namespace {

Id256 id_of(uint8_t fill, uint8_t last = 0) {
  Id256 id;
  id.b.fill(fill);
  id.b[31] = last;
  return id;
}

TEST_CASE("claim book: entries per volume and block, listed in block order") {
  MemoryKvTable table;
  ClaimBook book(table);
  VolumeId v = id_of(1), w = id_of(2);
  BlockId b1 = id_of(9, 1), b2 = id_of(9, 2), b3 = id_of(9, 3);
  std::vector<BlockId> blocks{b2, b1, b3};
  auto none = book.find(v, blocks);
  REQUIRE(none.ok());
  CHECK(*none == std::vector<std::optional<ClaimEntry>>(3));

  std::vector<std::pair<BlockId, ClaimEntry>> entries{{b2, {0, ClaimState::claiming}},
                                                      {b1, {7, ClaimState::live}}};
  REQUIRE(book.record(v, entries).ok());
  std::vector<std::pair<BlockId, ClaimEntry>> other{{b3, {1, ClaimState::cancelled}}};
  REQUIRE(book.record(w, other).ok());
  auto got = book.find(v, blocks);
  REQUIRE(got.ok());
  CHECK((*got)[0] == ClaimEntry{0, ClaimState::claiming});
  CHECK((*got)[1] == ClaimEntry{7, ClaimState::live});
  CHECK_FALSE((*got)[2].has_value());  // b3 is claimed in w only

  std::vector<std::pair<BlockId, ClaimEntry>> listed;
  REQUIRE(book.for_each(v,
                        [&](const BlockId& b, const ClaimEntry& e) {
                          listed.emplace_back(b, e);
                          return true;
                        })
              .ok());
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].first == b1);
  CHECK(listed[1].first == b2);

  // Rewritten: the claim went through, then was cancelled.
  std::vector<std::pair<BlockId, ClaimEntry>> later{{b2, {0, ClaimState::cancelled}}};
  REQUIRE(book.record(v, later).ok());
  got = book.find(v, std::vector<BlockId>{b2});
  REQUIRE(got.ok());
  CHECK((*got)[0] == ClaimEntry{0, ClaimState::cancelled});
}

TEST_CASE("claim book: the record's bytes, and bad records refused") {
  CHECK(ClaimBook::encode({0x01020304, ClaimState::cancelling}) == Bytes{1, 2, 3, 4, 2});
  auto e = ClaimBook::decode(Bytes{0, 0, 1, 0, 1});
  REQUIRE(e.ok());
  CHECK(*e == ClaimEntry{256, ClaimState::live});
  CHECK(ClaimBook::decode(Bytes{0, 0, 0, 0}).error().code == Errc::corrupt);
  CHECK(ClaimBook::decode(Bytes{0, 0, 0, 0, 1, 0}).error().code == Errc::corrupt);
  CHECK(ClaimBook::decode(Bytes{0, 0, 0, 0, 4}).error().code == Errc::corrupt);

  // A record the table holds that does not decode fails the read, and the listing.
  MemoryKvTable table;
  ClaimBook book(table);
  VolumeId v = id_of(1);
  BlockId b = id_of(3);
  Bytes key(v.b.begin(), v.b.end());
  key.insert(key.end(), b.b.begin(), b.b.end());
  REQUIRE(table.write({{key, Bytes{0, 0, 0, 1, 9}}}).ok());
  CHECK(book.find(v, std::vector<BlockId>{b}).error().code == Errc::corrupt);
  CHECK(book.for_each(v, [](const BlockId&, const ClaimEntry&) { return true; }).code() ==
        Errc::corrupt);
  // So does a key of the wrong length under the volume's prefix.
  MemoryKvTable short_keys;
  REQUIRE(short_keys.write({{Bytes(v.b.begin(), v.b.end()), ClaimBook::encode({})}}).ok());
  ClaimBook book2(short_keys);
  CHECK(book2.for_each(v, [](const BlockId&, const ClaimEntry&) { return true; }).code() ==
        Errc::corrupt);
}

TEST_CASE("claim book: on LMDB, entries survive reopening the store") {
  test::TempDir dir;
  VolumeId v = id_of(5);
  BlockId b = id_of(6);
  for (int round = 0; round < 2; ++round) {
    auto store = LmdbStore::open(dir.file("db"));
    REQUIRE(store.ok());
    auto table = (*store)->table("claims");
    REQUIRE(table.ok());
    ClaimBook book(**table);
    if (round == 0) {
      std::vector<std::pair<BlockId, ClaimEntry>> e{{b, {3, ClaimState::live}}};
      REQUIRE(book.record(v, e).ok());
      continue;
    }
    auto got = book.find(v, std::vector<BlockId>{b});
    REQUIRE(got.ok());
    CHECK((*got)[0] == ClaimEntry{3, ClaimState::live});
  }
}

}  // namespace
}  // namespace peerstore
