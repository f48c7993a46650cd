// Head: the one mutable, signed record of a volume. Storage nodes accept a head only if it
// verifies, so decode + verify must catch any change to its bytes; the root pointer must open
// only with the volume's read key; and the wire format is pinned by a golden encoding.
#include "keys/signed_head.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <functional>

#include "../common/must.h"
#include "common/msgpack_codec.h"

namespace peerstore {
namespace {

using test::must;

Id256 id_of(uint8_t fill) {
  Id256 id;
  id.b.fill(fill);
  return id;
}

SigningKey user_with_seed(uint8_t fill) {
  Bytes b(32, fill);
  return SigningKey::from_seed(Secret(b));
}

BlockPtr sample_root() {
  BlockPtr p;
  p.id = id_of(0xa1);
  p.key.fill(0xb2);
  return p;
}

void check_same(const Head& a, const Head& b) {
  CHECK(a.volume == b.volume);
  CHECK(a.clock == b.clock);
  CHECK(a.parents == b.parents);
  CHECK(a.root_box == b.root_box);
  CHECK(a.time_ns == b.time_ns);
  CHECK(a.device == b.device);
  CHECK(a.signature == b.signature);
}

std::string rep(const char* byte_hex, size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += byte_hex;
  return s;
}

TEST_CASE("make -> encode -> decode -> verify -> open_root") {
  VolumeKeys keys = VolumeKeys::derive_home(user_with_seed(1));
  // Given out of order: make() sorts the clock, as decode() requires.
  Head h = Head::make(keys, sample_root(), {{id_of(9), 3}, {id_of(2), 5}}, {id_of(7)}, id_of(2),
                      1234567890123);
  CHECK(h.volume == keys.id());
  REQUIRE(h.clock.size() == 2);
  CHECK(h.clock[0].first == id_of(2));
  CHECK(h.counter_of(id_of(9)) == 3);
  CHECK(h.counter_of(id_of(4)) == 0);
  CHECK(h.verify());

  Bytes enc = h.encode();
  auto d = Head::decode(enc);
  REQUIRE(d.ok());
  check_same(*d, h);
  CHECK(d->verify());
  CHECK(d->encode() == enc);

  auto root = d->open_root(keys.read_key);
  REQUIRE(root.ok());
  CHECK(*root == sample_root());

  uint8_t digest[32];
  crypto_generichash(digest, 32, enc.data(), enc.size(), nullptr, 0);
  CHECK(h.hash().hex() == to_hex(ByteView(digest, 32)));
}

TEST_CASE("two heads of the same state differ only by their random nonce") {
  VolumeKeys keys = VolumeKeys::derive_home(user_with_seed(1));
  Head a = Head::make(keys, sample_root(), {}, {}, id_of(2), 1);
  Head b = Head::make(keys, sample_root(), {}, {}, id_of(2), 1);
  CHECK(a.root_box != b.root_box);
  CHECK(must(a.open_root(keys.read_key)) == must(b.open_root(keys.read_key)));
}

TEST_CASE("a merge head is the same bytes on every computer that makes it") {
  VolumeKeys keys = VolumeKeys::derive_home(user_with_seed(1));
  std::vector<std::pair<Id256, uint64_t>> clock{{id_of(2), 4}, {id_of(3), 9}};
  Head a = Head::make(keys, sample_root(), clock, {id_of(7), id_of(8)}, id_of(3), 5, true);
  Head b = Head::make(keys, sample_root(), clock, {id_of(7), id_of(8)}, id_of(3), 5, true);
  CHECK(a.encode() == b.encode());
  CHECK(a.verify());
  CHECK(a.open_root(keys.read_key).ok());
  // Another merge (other parents) of the same root gets another nonce.
  Head c = Head::make(keys, sample_root(), clock, {id_of(7), id_of(9)}, id_of(3), 5, true);
  CHECK(Bytes(c.root_box.begin(), c.root_box.begin() + 24) !=
        Bytes(a.root_box.begin(), a.root_box.begin() + 24));
}

TEST_CASE("open_root needs the volume's read key and the volume it was sealed for") {
  VolumeKeys keys = VolumeKeys::derive_home(user_with_seed(1));
  VolumeKeys other = VolumeKeys::derive_home(user_with_seed(2));
  Head h = Head::make(keys, sample_root(), {}, {}, id_of(2), 1);
  CHECK(h.open_root(other.read_key).code() == Errc::corrupt);
  CHECK(h.open_root(keys.convergence).code() == Errc::corrupt);

  // The root box is bound to the volume id (associated data): moving it to another head fails.
  Head moved = h;
  moved.volume = other.id();
  CHECK(moved.open_root(keys.read_key).code() == Errc::corrupt);

  Head short_box = h;
  short_box.root_box.pop_back();
  CHECK(short_box.open_root(keys.read_key).code() == Errc::corrupt);
}

TEST_CASE("a head signed by another key does not verify") {
  VolumeKeys keys = VolumeKeys::derive_home(user_with_seed(1));
  VolumeKeys other = VolumeKeys::derive_home(user_with_seed(2));
  Head forged = Head::make(other, sample_root(), {}, {}, id_of(2), 1);
  forged.volume = keys.id();  // claims to be a head of `keys`' volume
  CHECK_FALSE(forged.verify());
}

TEST_CASE("any flipped bit or byte of an encoded head fails decode or verify") {
  VolumeKeys keys = VolumeKeys::derive_home(user_with_seed(1));
  Head h = Head::make(keys, sample_root(), {{id_of(2), 5}, {id_of(3), 300}}, {id_of(7), id_of(8)},
                      id_of(2), 1700000000123456789);
  Bytes enc = h.encode();
  size_t accepted = 0;
  for (size_t i = 0; i < enc.size(); ++i) {
    for (int mask : {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff}) {
      Bytes bad = enc;
      bad[i] ^= uint8_t(mask);
      auto d = Head::decode(bad);
      if (d.ok() && d->verify()) {
        ++accepted;
        FAIL_CHECK("flip at byte " << i << " mask " << mask << " still verifies");
      }
    }
  }
  CHECK(accepted == 0);
  // Truncations and appended bytes too.
  for (size_t n = 0; n < enc.size(); ++n) CHECK_FALSE(Head::decode(ByteView(enc.data(), n)).ok());
  Bytes longer = enc;
  longer.push_back(0xc0);
  CHECK(Head::decode(longer).code() == Errc::corrupt);
}

// A head built by hand from fixed fields (make() would draw a random nonce). Layout, from the
// header: [1, volume, [[device, counter], ...], [parent, ...], root_box, time_ns, device, sig].
Head golden_head() {
  Head h;
  h.volume = id_of(0x11);
  h.clock = {{id_of(0x22), 7}, {id_of(0x23), 300}};
  h.parents = {id_of(0x33)};
  h.root_box = Bytes(104, 0x44);
  h.time_ns = 1700000000123456789;
  h.device = id_of(0x55);
  h.signature.fill(0x66);
  return h;
}

TEST_CASE("golden encoding of a fixed head") {
  Head h = golden_head();
  std::string expected =
      "98"  // array of 8
      "01"  // version 1
      "c420" +
      rep("11", 32) +  // volume: bin8 of 32
      "92"             // clock: array of 2
      "92c420" +
      rep("22", 32) + "07" +                 //   [device, 7]
      "92c420" + rep("23", 32) + "cd012c" +  //   [device, 300 as uint16]
      "91c420" + rep("33", 32) +             // parents: array of 1
      "c468" + rep("44", 104) +              // root_box: bin8 of 104
      "cf17979cfe3d85cd15"                   // time_ns as uint64
      "c420" +
      rep("55", 32) +          // device
      "c440" + rep("66", 64);  // signature: bin8 of 64
  CHECK(to_hex(h.encode()) == expected);

  // The signed part is the same array of 7, without the signature.
  std::string signed_part = "97" + expected.substr(2, expected.size() - 2 - (4 + 128));
  CHECK(to_hex(h.signed_part()) == signed_part);

  auto d = Head::decode(h.encode());
  REQUIRE(d.ok());
  check_same(*d, h);
  CHECK_FALSE(d->verify());  // 0x66... is no signature of anything
}

Bytes encode_fields(const std::function<void(mp::Packer&)>& body) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  body(pk);
  return mp::to_bytes(buf);
}

TEST_CASE("decode rejects malformed heads") {
  Head h = golden_head();
  auto with = [&](auto change) {
    Head x = h;
    change(x);
    return Head::decode(x.encode());
  };
  // Unsorted or duplicated clock entries.
  CHECK(with([](Head& x) { std::swap(x.clock[0], x.clock[1]); }).code() == Errc::corrupt);
  CHECK(with([](Head& x) { x.clock[1].first = x.clock[0].first; }).code() == Errc::corrupt);
  // Too many parents.
  CHECK(with([](Head& x) { x.parents.assign(65, id_of(1)); }).code() == Errc::corrupt);
  CHECK(with([](Head& x) { x.parents.assign(64, id_of(1)); }).ok());

  // Wrong version, wrong arity, short ids, short signature, non-bytes fields.
  auto pack_head = [&](uint32_t version, size_t id_len, size_t sig_len, size_t arity) {
    return encode_fields([&](mp::Packer& pk) {
      pk.pack_array(uint32_t(arity));
      pk.pack(version);
      mp::pack_bin(pk, Bytes(id_len, 1));
      pk.pack_array(0);
      pk.pack_array(0);
      mp::pack_bin(pk, Bytes(104, 4));
      pk.pack(int64_t(5));
      mp::pack_bin(pk, Bytes(id_len, 2));
      if (arity > 7) mp::pack_bin(pk, Bytes(sig_len, 6));
      for (size_t i = 8; i < arity; ++i) pk.pack_nil();
    });
  };
  CHECK(Head::decode(pack_head(1, 32, 64, 8)).ok());
  CHECK(Head::decode(pack_head(2, 32, 64, 8)).code() == Errc::corrupt);
  CHECK(Head::decode(pack_head(1, 31, 64, 8)).code() == Errc::corrupt);
  CHECK(Head::decode(pack_head(1, 32, 63, 8)).code() == Errc::corrupt);
  CHECK(Head::decode(pack_head(1, 32, 64, 7)).code() == Errc::corrupt);
  CHECK(Head::decode(pack_head(1, 32, 64, 9)).code() == Errc::corrupt);
  CHECK(Head::decode(encode_fields([](mp::Packer& pk) { pk.pack(std::string("head")); })).code() ==
        Errc::corrupt);
}

}  // namespace
}  // namespace peerstore
