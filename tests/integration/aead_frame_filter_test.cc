// The record layer (dht/aead_frame_filter.h) on both ciphers: frames of every size open on the
// other side, once and in order; altered, replayed, reordered and truncated frames fail; the
// two directions' keys differ; keys move on after kRekeyBytes at the same frame on both sides,
// and a side that did not move on cannot open what follows.
#include "dht/aead_frame_filter.h"

#include <doctest/doctest.h>

#include <algorithm>

namespace peerstore {
namespace {

Secret key_of(uint8_t fill) {
  return Secret(Bytes(AeadFrameFilter::kKeySize, fill));
}

struct Pair {
  AeadFrameFilter a, b;
  Pair(AeadSuite suite, uint64_t rekey_a = 0, uint64_t rekey_b = 0)
      : a(suite, key_of(1), key_of(2), rekey_a), b(suite, key_of(2), key_of(1), rekey_b) {}
};

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 7);
  return b;
}

const AeadSuite kSuites[] = {AeadSuite::chacha20_poly1305, AeadSuite::aes256_gcm};

}  // namespace

TEST_CASE("record layer: frames of every size open on the other side, in order, once") {
  for (AeadSuite suite : kSuites) {
    CAPTURE(aead_suite_name(suite));
    Pair p(suite);
    CHECK(p.a.suite() == suite);
    for (size_t n : {0, 1, 15, 16, 17, 255, 4096, 65536 + 3, 1 << 20}) {
      Bytes m = pattern(n, uint8_t(n));
      Bytes sealed = p.a.seal(m);
      REQUIRE(sealed.size() == n + AeadFrameFilter::kTagSize);
      if (n >= 16) CHECK_FALSE(std::equal(m.begin(), m.begin() + 16, sealed.begin()));
      auto opened = p.b.open(sealed);
      REQUIRE(opened.ok());
      CHECK(*opened == m);
      CHECK(p.b.open(sealed).code() == Errc::corrupt);  // a replay
    }
    // The other direction has its own key and counter.
    Bytes back = p.b.seal(to_bytes("answer"));
    CHECK(p.b.open(back).code() == Errc::corrupt);
    auto opened = p.a.open(back);
    REQUIRE(opened.ok());
    CHECK(*opened == to_bytes("answer"));
  }
}

TEST_CASE("record layer: altered, reordered, truncated and foreign frames fail") {
  for (AeadSuite suite : kSuites) {
    CAPTURE(aead_suite_name(suite));
    Pair p(suite);
    Bytes f0 = p.a.seal(to_bytes("zero")), f1 = p.a.seal(to_bytes("one"));
    for (size_t i = 0; i < f0.size(); ++i) {
      Bytes bad = f0;
      bad[i] ^= 0x01;
      CHECK(p.b.open(bad).code() == Errc::corrupt);
    }
    CHECK(p.b.open(Bytes(f0.begin(), f0.end() - 1)).code() == Errc::corrupt);
    CHECK(p.b.open(Bytes(15, 0)).code() == Errc::corrupt);
    CHECK(p.b.open(f1).code() == Errc::corrupt);  // out of order
    // The other cipher under the same keys opens nothing.
    AeadSuite other =
        suite == AeadSuite::aes256_gcm ? AeadSuite::chacha20_poly1305 : AeadSuite::aes256_gcm;
    AeadFrameFilter stranger(other, key_of(2), key_of(1));
    CHECK(stranger.open(f0).code() == Errc::corrupt);
    // A failed open does not move the counter: the real frames still open, in order.
    CHECK(p.b.open(f0).ok());
    CHECK(p.b.open(f1).ok());
  }
}

TEST_CASE("record layer: keys move on after the limit, at the same frame on both sides") {
  for (AeadSuite suite : kSuites) {
    CAPTURE(aead_suite_name(suite));
    // 1000-byte limit: frames of 300 bytes move the key on every fourth frame.
    Pair p(suite, 1000, 1000);
    Pair fixed(suite);  // never moves on within this test
    for (int i = 0; i < 20; ++i) {
      Bytes m = pattern(300, uint8_t(i));
      Bytes sealed = p.a.seal(m), sealed_fixed = fixed.a.seal(m);
      // Until the first move the keys agree, after it they do not.
      CHECK((sealed == sealed_fixed) == (i < 4));
      auto opened = p.b.open(sealed);
      REQUIRE(opened.ok());
      CHECK(*opened == m);
    }
    // A side whose limit differs falls out of step at the first move, and stays out.
    Pair skew(suite, 1000, 2000);
    for (int i = 0; i < 4; ++i) CHECK(skew.b.open(skew.a.seal(pattern(300, 0))).ok());
    CHECK(skew.b.open(skew.a.seal(pattern(300, 0))).code() == Errc::corrupt);
  }
}

}  // namespace peerstore
