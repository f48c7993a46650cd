// mp::unpack is the door every record from disk or network comes through. The design rule is
// that bad input is never a crash and never an exception past the layer: it is Errc::corrupt.
// These tests feed it the classic hostile inputs (lying length headers, deep nesting, trailing
// and missing bytes) and a seeded fuzz loop.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "common/msgpack_codec.h"
#include "must.h"

namespace peerstore {
namespace {

using test::must;

Bytes packed(const auto& value) {
  mp::Buffer buf;
  msgpack::pack(buf, value);
  return mp::to_bytes(buf);
}

// `levels` arrays, each holding the next, the innermost holding one integer.
Bytes nested_arrays(size_t levels) {
  Bytes b(levels, 0x91);  // fixarray of one element
  b.push_back(0x01);
  return b;
}

// Walks a decoded object: checks that every str/bin points into `input` (zero-copy decoding
// means the object references the caller's buffer, never freed memory) and counts nodes.
size_t walk(const msgpack::object& o, ByteView input) {
  auto inside = [&](const char* p, size_t n) {
    auto* u = reinterpret_cast<const uint8_t*>(p);
    return n == 0 || (u >= input.data() && u + n <= input.data() + input.size());
  };
  switch (o.type) {
    case msgpack::type::STR:
      CHECK(inside(o.via.str.ptr, o.via.str.size));
      return 1;
    case msgpack::type::BIN:
      CHECK(inside(o.via.bin.ptr, o.via.bin.size));
      return 1;
    case msgpack::type::ARRAY: {
      size_t n = 1;
      for (uint32_t i = 0; i < o.via.array.size; ++i) n += walk(o.via.array.ptr[i], input);
      return n;
    }
    case msgpack::type::MAP: {
      size_t n = 1;
      for (uint32_t i = 0; i < o.via.map.size; ++i)
        n += walk(o.via.map.ptr[i].key, input) + walk(o.via.map.ptr[i].val, input);
      return n;
    }
    default:
      return 1;
  }
}

TEST_CASE("unpack decodes exactly one object") {
  Bytes b = packed(std::make_tuple(1, std::string("two"), 3.5));
  auto oh = mp::unpack(b);
  REQUIRE(oh.ok());
  auto arr = mp::get_array(oh->get(), 3, 3);
  REQUIRE(arr.ok());
  CHECK(must(mp::get_u64((*arr)[0])) == 1);
  CHECK(walk(oh->get(), b) == 4);
}

TEST_CASE("unpack rejects empty input, trailing bytes and truncation") {
  CHECK(mp::unpack(Bytes{}).code() == Errc::corrupt);

  Bytes b = packed(std::vector<int>{1, 2, 3});
  Bytes trailing = b;
  trailing.push_back(0x00);
  auto t = mp::unpack(trailing);
  REQUIRE(t.code() == Errc::corrupt);
  CHECK(t.error().context.find("trailing") != std::string::npos);

  // Every strict prefix of a record is corrupt, never a partial success.
  Bytes rec = packed(std::make_tuple(std::string(40, 'x'), std::vector<int>{1, 2, 300000}, -5));
  for (size_t n = 1; n < rec.size(); ++n) {
    CAPTURE(n);
    CHECK(mp::unpack(ByteView(rec.data(), n)).code() == Errc::corrupt);
  }
}

TEST_CASE("length headers that lie are refused before allocation") {
  // array32 claiming 2^32 - 1 elements, followed by nothing.
  Bytes huge_array = {0xdd, 0xff, 0xff, 0xff, 0xff, 0x01};
  CHECK(mp::unpack(huge_array).code() == Errc::corrupt);
  // map32 claiming 2^32 - 1 pairs.
  Bytes huge_map = {0xdf, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01};
  CHECK(mp::unpack(huge_map).code() == Errc::corrupt);
  // bin32 claiming 4 GiB - 1 with 4 bytes present.
  Bytes huge_bin = {0xc6, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4};
  CHECK(mp::unpack(huge_bin).code() == Errc::corrupt);
  // str32 claiming 4 GiB - 1.
  Bytes huge_str = {0xdb, 0xff, 0xff, 0xff, 0xff, 'a'};
  CHECK(mp::unpack(huge_str).code() == Errc::corrupt);
  // ext is disabled by default: even a well-formed fixext is refused.
  Bytes ext = {0xd4, 0x01, 0x00};
  CHECK(mp::unpack(ext).code() == Errc::corrupt);
}

TEST_CASE("the caller's limits are enforced exactly") {
  mp::Limits lim;
  lim.array = 3;
  lim.bin = 4;
  lim.str = 2;
  lim.map = 1;
  CHECK(mp::unpack(packed(std::vector<int>{1, 2, 3}), lim).ok());
  CHECK(mp::unpack(packed(std::vector<int>{1, 2, 3, 4}), lim).code() == Errc::corrupt);

  mp::Buffer buf;
  mp::Packer pk(buf);
  mp::pack_bin(pk, Bytes(4, 9));
  CHECK(mp::unpack(mp::to_bytes(buf), lim).ok());
  buf.clear();
  mp::pack_bin(pk, Bytes(5, 9));
  CHECK(mp::unpack(mp::to_bytes(buf), lim).code() == Errc::corrupt);

  CHECK(mp::unpack(packed(std::string("ab")), lim).ok());
  CHECK(mp::unpack(packed(std::string("abc")), lim).code() == Errc::corrupt);

  CHECK(mp::unpack(packed(std::map<int, int>{{1, 2}}), lim).ok());
  CHECK(mp::unpack(packed(std::map<int, int>{{1, 2}, {3, 4}}), lim).code() == Errc::corrupt);
}

TEST_CASE("nesting deeper than the limit is corrupt, not a stack overflow") {
  mp::Limits lim;  // depth 16
  CHECK(mp::unpack(nested_arrays(lim.depth)).ok());
  CHECK(mp::unpack(nested_arrays(lim.depth + 1)).code() == Errc::corrupt);
  // Far past any limit: a 100k-deep input must fail fast without recursion trouble.
  CHECK(mp::unpack(nested_arrays(100000)).code() == Errc::corrupt);
  // Maps count too.
  Bytes deep_maps;
  for (int i = 0; i < 40; ++i) {
    deep_maps.push_back(0x81);  // fixmap, one pair
    deep_maps.push_back(0x00);  // key
  }
  deep_maps.push_back(0x00);
  CHECK(mp::unpack(deep_maps).code() == Errc::corrupt);
}

TEST_CASE("typed getters refuse the wrong type") {
  Bytes b = packed(std::make_tuple(-3, 5u, std::string("s"), msgpack::type::nil_t()));
  auto oh = mp::unpack(b);
  REQUIRE(oh.ok());
  auto a = must(mp::get_array(oh->get(), 4, 4));
  CHECK(mp::get_u64(a[0]).code() == Errc::corrupt);
  CHECK(must(mp::get_i64(a[0])) == -3);
  CHECK(must(mp::get_i64(a[1])) == 5);
  CHECK(mp::get_bin(a[2]).code() == Errc::corrupt);  // str is not bin
  CHECK(mp::is_nil(a[3]));
  CHECK_FALSE(mp::is_nil(a[0]));
  CHECK(mp::get_array(a[1], 0, 10).code() == Errc::corrupt);
  CHECK(mp::get_array(oh->get(), 5, 9).code() == Errc::corrupt);  // too short
  CHECK(mp::get_array(oh->get(), 0, 3).code() == Errc::corrupt);  // too long

  Bytes big = packed(uint64_t(1) << 63);
  auto ob = mp::unpack(big);
  REQUIRE(ob.ok());
  CHECK(must(mp::get_u64(ob->get())) == uint64_t(1) << 63);
  CHECK(mp::get_i64(ob->get()).code() == Errc::corrupt);  // does not fit in int64
}

// Random bytes and random corruptions of a realistic record: every input decodes or is
// corrupt; nothing throws, crashes or hands back pointers outside the input.
TEST_CASE("fuzz: random and mutated buffers never crash") {
  std::mt19937_64 rng(0x5eed0001);
  size_t ok = 0, corrupt = 0;
  auto check_one = [&](const Bytes& input, size_t i) {
    auto r = mp::unpack(input);
    if (r.ok()) {
      ++ok;
      walk(r->get(), input);
    } else {
      ++corrupt;
      if (r.code() != Errc::corrupt) FAIL("input " << i << " gave " << errc_name(r.code()));
    }
  };
  for (size_t i = 0; i < 10000; ++i) {
    Bytes input(1 + rng() % 96);
    for (auto& x : input) x = uint8_t(rng());
    check_one(input, i);
  }
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(4);
  pk.pack(uint32_t(1));
  mp::pack_bin(pk, Bytes(32, 0xab));
  pk.pack_array(3);
  for (int i = 0; i < 3; ++i) {
    pk.pack_array(2);
    pk.pack(std::string("name") + char('0' + i));
    pk.pack(uint64_t(1) << (20 * i));
  }
  pk.pack_map(1);
  pk.pack(-7);
  pk.pack_nil();
  Bytes base = mp::to_bytes(buf);
  REQUIRE(mp::unpack(base).ok());
  for (size_t i = 0; i < 10000; ++i) {
    Bytes input = base;
    for (int flips = 1 + int(rng() % 4); flips > 0; --flips) input[rng() % input.size()] = uint8_t(rng());
    if (rng() % 4 == 0) input.resize(1 + rng() % input.size());
    check_one(input, 10000 + i);
  }
  CHECK(ok > 0);  // the loop must reach the success path too, or it tests too little
  CHECK(corrupt > 0);
}

}  // namespace
}  // namespace peerstore
