// Bytes, hex and Id256: hex is how ids reach people and config files, and Id256::from is the
// gate every id from disk or network passes, so wrong input must come back as an error.
#include <doctest/doctest.h>

#include <algorithm>

#include "common/bytes.h"

namespace peerstore {
namespace {

TEST_CASE("hex round-trips every byte value") {
  Bytes all(256);
  for (int i = 0; i < 256; ++i) all[i] = uint8_t(i);
  std::string h = to_hex(all);
  CHECK(h.size() == 512);
  CHECK(h.substr(0, 8) == "00010203");
  CHECK(h.substr(504) == "fcfdfeff");
  auto back = from_hex(h);
  REQUIRE(back.ok());
  CHECK(*back == all);
}

TEST_CASE("from_hex accepts upper case and the empty string") {
  auto up = from_hex("DEADbeef");
  REQUIRE(up.ok());
  CHECK(*up == Bytes{0xde, 0xad, 0xbe, 0xef});
  auto empty = from_hex("");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("from_hex rejects odd length and non-hex characters") {
  CHECK(from_hex("abc").code() == Errc::invalid);
  CHECK(from_hex("0g").code() == Errc::invalid);
  CHECK(from_hex("g0").code() == Errc::invalid);
  CHECK(from_hex("12 4").code() == Errc::invalid);
  CHECK(from_hex("0x12").code() == Errc::invalid);
  CHECK(from_hex(std::string_view("\0\0", 2)).code() == Errc::invalid);
}

TEST_CASE("Id256::from takes exactly 32 bytes") {
  Bytes b(32);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(i * 7);
  auto id = Id256::from(b);
  REQUIRE(id.ok());
  CHECK(std::equal(b.begin(), b.end(), id->b.begin()));
  CHECK(id->hex() == to_hex(b));
  CHECK(id->short_hex() == to_hex(b).substr(0, 12));

  for (size_t n : {0, 1, 31, 33, 64}) {
    CAPTURE(n);
    auto bad = Id256::from(Bytes(n, 1));
    CHECK(bad.code() == Errc::corrupt);
  }
}

TEST_CASE("Id256 zero test, ordering and hashing") {
  Id256 zero;
  CHECK(zero.is_zero());
  Id256 a, b;
  a.b[31] = 1;
  b.b[0] = 1;
  CHECK_FALSE(a.is_zero());
  CHECK(a < b);  // byte-wise, most significant first, as ring arithmetic expects
  CHECK(zero < a);
  CHECK(a == a);
  CHECK(a != b);
  CHECK(Id256Hash{}(a) != Id256Hash{}(b));
}

TEST_CASE("u64 big-endian helpers") {
  uint8_t buf[8];
  put_u64be(buf, 0x0102030405060708ull);
  CHECK(buf[0] == 1);
  CHECK(buf[7] == 8);
  CHECK(get_u64be(buf) == 0x0102030405060708ull);
  put_u64be(buf, ~0ull);
  CHECK(get_u64be(buf) == ~0ull);
}

TEST_CASE("string and byte views share storage") {
  std::string s = "peer";
  ByteView v = as_bytes(s);
  CHECK(v.size() == 4);
  CHECK(v[0] == 'p');
  CHECK(as_chars(v) == "peer");
  CHECK(to_bytes("ab") == Bytes{'a', 'b'});
}

}  // namespace
}  // namespace peerstore
