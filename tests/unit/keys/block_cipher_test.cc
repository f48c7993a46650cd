// Block sealing is the storage format of every byte a user writes. The properties the rest of
// the system builds on: convergence (dedup within a volume, nothing across secrets), ids that
// are the BLAKE2b-256 of the ciphertext (any peer can check a copy), and authentication (any
// change to a stored block is detected). The golden vector pins the format: if it changes,
// every existing volume becomes unreadable.
#include <doctest/doctest.h>

#include <sodium.h>

#include "keys/block_cipher.h"

namespace peerstore {
namespace {

Secret secret_of(uint8_t fill) {
  Bytes b(32, fill);
  return Secret(b);
}

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = uint8_t(seed + i * 31 + (i >> 8));
  return b;
}

TEST_CASE("seal_block / open_block round trip at many sizes") {
  Secret s = secret_of(1);
  for (size_t n : {size_t(0), size_t(1), size_t(15), size_t(16), size_t(4096), size_t(65536 + 3)}) {
    CAPTURE(n);
    Bytes plain = pattern(n, 9);
    SealedBlock sb = seal_block(plain, s);
    CHECK(sb.ciphertext.size() == n + kSealOverhead);
    if (n >= 16) CHECK(Bytes(sb.ciphertext.begin(), sb.ciphertext.begin() + 16) != Bytes(plain.begin(), plain.begin() + 16));
    auto opened = open_block(sb.ciphertext, sb.ptr.key);
    REQUIRE(opened.ok());
    CHECK(*opened == plain);

    Bytes into(n + 1, 0xee);  // one guard byte: open_block_into writes exactly n bytes
    REQUIRE(open_block_into(sb.ciphertext, sb.ptr.key, into.data()).ok());
    CHECK(Bytes(into.begin(), into.begin() + n) == plain);
    CHECK(into[n] == 0xee);
  }
}

TEST_CASE("sealing is convergent per secret") {
  Bytes plain = pattern(1000, 3);
  SealedBlock a = seal_block(plain, secret_of(1));
  SealedBlock b = seal_block(plain, secret_of(1));
  CHECK(a.ptr == b.ptr);
  CHECK(a.ciphertext == b.ciphertext);

  SealedBlock other_secret = seal_block(plain, secret_of(2));
  CHECK(other_secret.ptr.id != a.ptr.id);
  CHECK(other_secret.ptr.key != a.ptr.key);
  CHECK(other_secret.ciphertext != a.ciphertext);

  Bytes plain2 = plain;
  plain2[999] ^= 1;
  SealedBlock other_plain = seal_block(plain2, secret_of(1));
  CHECK(other_plain.ptr.id != a.ptr.id);
  CHECK(other_plain.ptr.key != a.ptr.key);
}

TEST_CASE("the block id is BLAKE2b-256 of the ciphertext") {
  SealedBlock sb = seal_block(pattern(300, 5), secret_of(4));
  uint8_t h[32];
  crypto_generichash(h, sizeof h, sb.ciphertext.data(), sb.ciphertext.size(), nullptr, 0);
  CHECK(to_hex(ByteView(h, 32)) == sb.ptr.id.hex());
  CHECK(hash_block(sb.ciphertext) == sb.ptr.id);
}

TEST_CASE("any flipped byte of the ciphertext fails to open") {
  Secret s = secret_of(7);
  SealedBlock sb = seal_block(pattern(100, 1), s);
  for (size_t i = 0; i < sb.ciphertext.size(); ++i) {
    for (uint8_t mask : {0x01, 0x80}) {
      CAPTURE(i);
      Bytes bad = sb.ciphertext;
      bad[i] ^= mask;
      CHECK(open_block(bad, sb.ptr.key).code() == Errc::corrupt);
    }
  }
  // Truncated and extended ciphertexts, and ones shorter than the tag.
  Bytes cut(sb.ciphertext.begin(), sb.ciphertext.end() - 1);
  CHECK(open_block(cut, sb.ptr.key).code() == Errc::corrupt);
  Bytes longer = sb.ciphertext;
  longer.push_back(0);
  CHECK(open_block(longer, sb.ptr.key).code() == Errc::corrupt);
  CHECK(open_block(Bytes(kSealOverhead - 1, 0), sb.ptr.key).code() == Errc::corrupt);
  CHECK(open_block(Bytes{}, sb.ptr.key).code() == Errc::corrupt);
}

TEST_CASE("the wrong key fails to open") {
  SealedBlock sb = seal_block(pattern(64, 2), secret_of(7));
  BlockKey k = sb.ptr.key;
  k[0] ^= 1;
  CHECK(open_block(sb.ciphertext, k).code() == Errc::corrupt);
  BlockKey zero{};
  CHECK(open_block(sb.ciphertext, zero).code() == Errc::corrupt);
  // Another block's key does not open it either.
  SealedBlock other = seal_block(pattern(64, 3), secret_of(7));
  CHECK(open_block(sb.ciphertext, other.ptr.key).code() == Errc::corrupt);
}

TEST_CASE("BlockPtr encodes as id || key") {
  SealedBlock sb = seal_block(pattern(10, 1), secret_of(1));
  uint8_t enc[BlockPtr::kEncodedSize];
  sb.ptr.encode_to(enc);
  CHECK(to_hex(ByteView(enc, 32)) == sb.ptr.id.hex());
  CHECK(to_hex(ByteView(enc + 32, 32)) == to_hex(sb.ptr.key));
  auto back = BlockPtr::decode(ByteView(enc, sizeof enc));
  REQUIRE(back.ok());
  CHECK(*back == sb.ptr);
  CHECK(BlockPtr::decode(ByteView(enc, 63)).code() == Errc::corrupt);
  Bytes longer(enc, enc + sizeof enc);
  longer.push_back(0);
  CHECK(BlockPtr::decode(longer).code() == Errc::corrupt);
}

// Computed once from this implementation and pinned: secret = bytes 0x00..0x1f,
// plaintext = "PeerStore golden block v1". Cross-checked independently (Python hashlib's keyed
// BLAKE2b for key and id; HChaCha20 + ChaCha20-Poly1305 from `cryptography` for the ciphertext).
TEST_CASE("golden vector") {
  Bytes sb(32);
  for (int i = 0; i < 32; ++i) sb[i] = uint8_t(i);
  Secret secret(sb);
  SealedBlock s = seal_block(as_bytes("PeerStore golden block v1"), secret);
  CHECK(to_hex(s.ptr.key) == "be61539106040a3b37c34e16a2ad4eac938bc0db41debd4c33f5b871bd5d6951");
  CHECK(s.ptr.id.hex() == "0b25f7dc0332ffbb68c92d5c08cad9521db7c8f2fe4068772c15646a018c780b");
  CHECK(to_hex(s.ciphertext) ==
        "c7b228e8c2f6aa7b9e99998322f973d5f70b4d9d1f944069537c4b126ada7691b2925b0b039f5e2fb6");
}

}  // namespace
}  // namespace peerstore
