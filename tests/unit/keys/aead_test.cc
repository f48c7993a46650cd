// Aead (keys/aead.h), one suite of checks for both ciphers: sealing in place round-trips at
// every size, and a changed byte, tag, nonce or key fails to open. AES-256-GCM also against the
// GCM specification's test cases 13 and 14, so the OpenSSL calls are known to compute GCM.
#include "keys/aead.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "common/bytes.h"

namespace peerstore {
namespace {

Secret key_of(uint8_t fill) {
  return Secret(Bytes(Aead::kKeySize, fill));
}

Aead::Nonce nonce_of(uint8_t last) {
  Aead::Nonce n{};
  n[11] = last;
  return n;
}

}  // namespace

TEST_CASE("aead: both suites round-trip in place, and refuse what was changed") {
  for (AeadSuite suite : {AeadSuite::chacha20_poly1305, AeadSuite::aes256_gcm}) {
    CAPTURE(aead_suite_name(suite));
    auto aead = Aead::make(suite, key_of(5));
    CHECK(aead->suite() == suite);
    for (size_t n : {0, 1, 16, 31, 4096, 100000}) {
      Bytes plain(n);
      for (size_t i = 0; i < n; ++i) plain[i] = uint8_t(i * 13);
      Bytes data = plain;
      uint8_t tag[Aead::kTagSize];
      aead->seal(data.data(), n, nonce_of(1), tag);
      if (n >= 16) CHECK(data != plain);
      Bytes copy = data;
      REQUIRE(aead->open(copy.data(), n, nonce_of(1), tag));
      CHECK(copy == plain);
      // The same key and nonce seal the same bytes the same way (a fresh object too).
      Bytes again = plain;
      uint8_t tag2[Aead::kTagSize];
      Aead::make(suite, key_of(5))->seal(again.data(), n, nonce_of(1), tag2);
      CHECK(again == data);
      CHECK(std::equal(tag, tag + Aead::kTagSize, tag2));

      copy = data;
      CHECK_FALSE(aead->open(copy.data(), n, nonce_of(2), tag));
      copy = data;
      CHECK_FALSE(Aead::make(suite, key_of(6))->open(copy.data(), n, nonce_of(1), tag));
      uint8_t bad_tag[Aead::kTagSize];
      std::copy(tag, tag + Aead::kTagSize, bad_tag);
      bad_tag[15] ^= 1;
      copy = data;
      CHECK_FALSE(aead->open(copy.data(), n, nonce_of(1), bad_tag));
      if (n > 0) {
        copy = data;
        copy[n / 2] ^= 0x40;
        CHECK_FALSE(aead->open(copy.data(), n, nonce_of(1), tag));
      }
    }
  }
}

TEST_CASE("aead: AES-256-GCM gives the GCM specification's test cases 13 and 14") {
  auto aead = Aead::make(AeadSuite::aes256_gcm, key_of(0));
  uint8_t tag[Aead::kTagSize];
  aead->seal(nullptr, 0, Aead::Nonce{}, tag);
  CHECK(to_hex(ByteView(tag, sizeof tag)) == "530f8afbc74536b9a963b4f1c4cb738b");
  Bytes data(16, 0);
  aead->seal(data.data(), data.size(), Aead::Nonce{}, tag);
  CHECK(to_hex(data) == "cea7403d4d606b6e074ec5d3baf39d18");
  CHECK(to_hex(ByteView(tag, sizeof tag)) == "d0d1c8a799996bf0265b98b5d48ab919");
}

}  // namespace peerstore
