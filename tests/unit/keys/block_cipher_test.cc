// Block sealing is the storage format of every byte a user writes. The properties the rest of
// the system builds on, for both suites: convergence (dedup within a volume, nothing across
// secrets), ids that are the hash of the ciphertext (any peer can check a copy), and
// authentication (any change to a stored block is detected, also when only part of it is read).
// The golden vectors pin the formats: if one changes, every existing volume becomes unreadable.
#include "keys/block_cipher.h"

#include <doctest/doctest.h>
#include <sodium.h>

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

constexpr BlockSuite kSuites[] = {BlockSuite::xchacha_blake2b, BlockSuite::aes_gcm_sha256};

TEST_CASE("seal_block / open_block round trip at many sizes") {
  Secret s = secret_of(1);
  for (BlockSuite suite : kSuites)
    for (size_t n : {size_t(0), size_t(1), size_t(15), size_t(16), size_t(4095), size_t(4096),
                     size_t(4097), size_t(8192), size_t(65536), size_t(65536 + 3)}) {
      CAPTURE(int(suite));
      CAPTURE(n);
      Bytes plain = pattern(n, 9);
      SealedBlock sb = seal_block(plain, s, suite);
      CHECK(sb.ptr.suite == suite);
      CHECK(sb.ciphertext.size() == sealed_size(suite, n));
      CHECK(opened_size(suite, sb.ciphertext.size()).value() == n);
      if (n >= 16)
        CHECK(Bytes(sb.ciphertext.begin(), sb.ciphertext.begin() + 16) !=
              Bytes(plain.begin(), plain.begin() + 16));
      auto opened = open_block(sb.ciphertext, sb.ptr);
      REQUIRE(opened.ok());
      CHECK(*opened == plain);

      Bytes into(n + 1, 0xee);  // one guard byte: open_block_into writes exactly n bytes
      REQUIRE(open_block_into(sb.ciphertext, sb.ptr, into.data()).ok());
      CHECK(Bytes(into.begin(), into.begin() + n) == plain);
      CHECK(into[n] == 0xee);
    }
}

TEST_CASE("sealing is convergent per secret") {
  for (BlockSuite suite : kSuites) {
    CAPTURE(int(suite));
    Bytes plain = pattern(1000, 3);
    SealedBlock a = seal_block(plain, secret_of(1), suite);
    SealedBlock b = seal_block(plain, secret_of(1), suite);
    CHECK(a.ptr == b.ptr);
    CHECK(a.ciphertext == b.ciphertext);

    SealedBlock other_secret = seal_block(plain, secret_of(2), suite);
    CHECK(other_secret.ptr.id != a.ptr.id);
    CHECK(other_secret.ptr.key != a.ptr.key);
    CHECK(other_secret.ciphertext != a.ciphertext);

    Bytes plain2 = plain;
    plain2[999] ^= 1;
    SealedBlock other_plain = seal_block(plain2, secret_of(1), suite);
    CHECK(other_plain.ptr.id != a.ptr.id);
    CHECK(other_plain.ptr.key != a.ptr.key);
  }
  // The suites are separate formats: the same plaintext gives other keys and ids.
  SealedBlock one = seal_block(pattern(10, 1), secret_of(1), BlockSuite::xchacha_blake2b);
  SealedBlock two = seal_block(pattern(10, 1), secret_of(1), BlockSuite::aes_gcm_sha256);
  CHECK(one.ptr.key != two.ptr.key);
  CHECK(one.ptr.id != two.ptr.id);
}

TEST_CASE("the block id is the suite's hash of the ciphertext, and peers accept either") {
  SealedBlock s1 = seal_block(pattern(300, 5), secret_of(4), BlockSuite::xchacha_blake2b);
  uint8_t h[32];
  crypto_generichash(h, sizeof h, s1.ciphertext.data(), s1.ciphertext.size(), nullptr, 0);
  CHECK(to_hex(ByteView(h, 32)) == s1.ptr.id.hex());
  CHECK(hash_block(s1.ciphertext) == s1.ptr.id);

  SealedBlock s2 = seal_block(pattern(300, 5), secret_of(4), BlockSuite::aes_gcm_sha256);
  crypto_hash_sha256(h, s2.ciphertext.data(), s2.ciphertext.size());
  CHECK(to_hex(ByteView(h, 32)) == s2.ptr.id.hex());
  CHECK(hash_block(s2.ciphertext, BlockSuite::aes_gcm_sha256) == s2.ptr.id);

  CHECK(block_id_matches(s1.ptr.id, s1.ciphertext));
  CHECK(block_id_matches(s2.ptr.id, s2.ciphertext));
  CHECK_FALSE(block_id_matches(s1.ptr.id, s2.ciphertext));
  Bytes bad = s2.ciphertext;
  bad[7] ^= 1;
  CHECK_FALSE(block_id_matches(s2.ptr.id, bad));
}

TEST_CASE("any flipped byte of the ciphertext fails to open") {
  Secret s = secret_of(7);
  for (BlockSuite suite : kSuites) {
    CAPTURE(int(suite));
    SealedBlock sb = seal_block(pattern(100, 1), s, suite);
    for (size_t i = 0; i < sb.ciphertext.size(); ++i) {
      for (uint8_t mask : {0x01, 0x80}) {
        CAPTURE(i);
        Bytes bad = sb.ciphertext;
        bad[i] ^= mask;
        CHECK(open_block(bad, sb.ptr).code() == Errc::corrupt);
      }
    }
    // Truncated and extended ciphertexts, and ones shorter than the tag.
    Bytes cut(sb.ciphertext.begin(), sb.ciphertext.end() - 1);
    CHECK(open_block(cut, sb.ptr).code() == Errc::corrupt);
    Bytes longer = sb.ciphertext;
    longer.push_back(0);
    CHECK(open_block(longer, sb.ptr).code() == Errc::corrupt);
    CHECK(open_block(Bytes(kSealTag - 1, 0), sb.ptr).code() == Errc::corrupt);
    CHECK(open_block(Bytes{}, sb.ptr).code() == Errc::corrupt);
  }
}

TEST_CASE("the wrong key or suite fails to open") {
  for (BlockSuite suite : kSuites) {
    CAPTURE(int(suite));
    SealedBlock sb = seal_block(pattern(64, 2), secret_of(7), suite);
    BlockPtr p = sb.ptr;
    p.key[0] ^= 1;
    CHECK(open_block(sb.ciphertext, p).code() == Errc::corrupt);
    p.key = BlockKey{};
    CHECK(open_block(sb.ciphertext, p).code() == Errc::corrupt);
    // Another block's key does not open it either, nor the other suite with the right key.
    SealedBlock other = seal_block(pattern(64, 3), secret_of(7), suite);
    CHECK(open_block(sb.ciphertext, other.ptr).code() == Errc::corrupt);
    p = sb.ptr;
    p.suite = suite == BlockSuite::xchacha_blake2b ? BlockSuite::aes_gcm_sha256
                                                   : BlockSuite::xchacha_blake2b;
    CHECK(open_block(sb.ciphertext, p).code() == Errc::corrupt);
  }
}

TEST_CASE("suite 2 opens any range, touching only the segments it needs") {
  Bytes plain = pattern(3 * kSealSegment + 500, 4);
  SealedBlock sb = seal_block(plain, secret_of(3), BlockSuite::aes_gcm_sha256);
  REQUIRE(sb.ciphertext.size() == plain.size() + 4 * kSealTag);
  for (BlockSuite suite : kSuites) {
    CAPTURE(int(suite));
    SealedBlock b =
        suite == BlockSuite::aes_gcm_sha256 ? sb : seal_block(plain, secret_of(3), suite);
    for (auto [lo, hi] : {std::pair<size_t, size_t>{0, plain.size()},
                          {0, 1},
                          {4095, 4097},
                          {4096, 8192},
                          {100, 12000},
                          {12288, 12788},
                          {12700, 99999},
                          {plain.size(), plain.size() + 5},
                          {5000, 5000}}) {
      CAPTURE(lo);
      CAPTURE(hi);
      Bytes out(hi - lo + 1, 0xee);
      size_t copied = 99;
      REQUIRE(open_block_range(b.ciphertext, b.ptr, lo, hi, out.data(), &copied).ok());
      size_t want = lo >= plain.size() ? 0 : std::min(hi, plain.size()) - lo;
      CHECK(copied == want);
      CHECK(Bytes(out.begin(), out.begin() + want) ==
            Bytes(plain.begin() + std::min(lo, plain.size()), plain.begin() + lo + want));
      CHECK(out[want] == 0xee);
    }
  }
  // A damaged segment fails every range that touches it and no range that does not, and a
  // failed read leaves zeros, not unauthenticated bytes.
  Bytes bad = sb.ciphertext;
  bad[kSealSegment + kSealTag + 10] ^= 1;  // segment 1
  Bytes out(kSealSegment, 0xee);
  size_t copied = 0;
  CHECK(open_block_range(bad, sb.ptr, 0, 4096, out.data(), &copied).ok());
  CHECK(open_block_range(bad, sb.ptr, 8192, 12288, out.data(), &copied).ok());
  CHECK(open_block_range(bad, sb.ptr, 4000, 4200, out.data(), &copied).code() == Errc::corrupt);
  CHECK(Bytes(out.begin(), out.begin() + 200) == Bytes(200, 0));
  CHECK(open_block_range(bad, sb.ptr, 4096, 8192, out.data(), &copied).code() == Errc::corrupt);
  CHECK(out == Bytes(kSealSegment, 0));
}

TEST_CASE("open_block_part opens a range from just the segments it touches") {
  Bytes plain = pattern(5 * kSealSegment + 77, 6);
  SealedBlock sb = seal_block(plain, secret_of(2), BlockSuite::aes_gcm_sha256);
  const size_t sealed = sb.ciphertext.size();
  for (auto [lo, hi] : {std::pair<size_t, size_t>{0, 4096},
                        {5000, 5100},
                        {4000, 9000},
                        {20480, 99999},
                        {0, plain.size()}}) {
    CAPTURE(lo);
    CAPTURE(hi);
    size_t off = 0, len = 0;
    sealed_span(lo, std::min(hi, plain.size()), &off, &len);
    len = std::min(len, sealed - off);
    ByteView part(sb.ciphertext.data() + off, len);
    size_t want = std::min(hi, plain.size()) - lo, copied = 0;
    Bytes out(want, 0);
    REQUIRE(open_block_part(part, off, sealed, sb.ptr, lo, hi, out.data(), &copied).ok());
    CHECK(copied == want);
    CHECK(out == Bytes(plain.begin() + lo, plain.begin() + lo + want));
    // One byte short of a touched segment: refused, nothing unauthenticated left.
    Bytes out2(want, 0xee);
    CHECK(open_block_part(ByteView(part.data(), len - 1), off, sealed, sb.ptr, lo, hi, out2.data(),
                          &copied)
              .code() == Errc::corrupt);
    CHECK(out2 == Bytes(want, 0));
  }
  // A suite 1 block opens only whole.
  SealedBlock one = seal_block(plain, secret_of(2), BlockSuite::xchacha_blake2b);
  Bytes out(10);
  size_t copied = 0;
  CHECK(open_block_part(ByteView(one.ciphertext.data() + 16, 100), 16, one.ciphertext.size(),
                        one.ptr, 20, 30, out.data(), &copied)
            .code() == Errc::corrupt);
}

TEST_CASE("suite 2 segments cannot be dropped, swapped or marked last") {
  Bytes plain = pattern(2 * kSealSegment + 10, 8);
  SealedBlock sb = seal_block(plain, secret_of(5), BlockSuite::aes_gcm_sha256);
  const size_t seg = kSealSegment + kSealTag;
  // Cut after a full segment: the new last segment was not sealed as the last one.
  Bytes cut(sb.ciphertext.begin(), sb.ciphertext.begin() + 2 * seg);
  CHECK(open_block(cut, sb.ptr).code() == Errc::corrupt);
  Bytes one(sb.ciphertext.begin(), sb.ciphertext.begin() + seg);
  CHECK(open_block(one, sb.ptr).code() == Errc::corrupt);
  // Swap the two full segments.
  Bytes swapped = sb.ciphertext;
  std::copy(sb.ciphertext.begin(), sb.ciphertext.begin() + seg, swapped.begin() + seg);
  std::copy(sb.ciphertext.begin() + seg, sb.ciphertext.begin() + 2 * seg, swapped.begin());
  CHECK(open_block(swapped, sb.ptr).code() == Errc::corrupt);
  // An empty last segment after full ones is not a size sealing makes.
  CHECK(opened_size(BlockSuite::aes_gcm_sha256, 2 * seg + kSealTag).code() == Errc::corrupt);
  CHECK(opened_size(BlockSuite::aes_gcm_sha256, seg + 1).code() == Errc::corrupt);
  CHECK(*opened_size(BlockSuite::aes_gcm_sha256, kSealTag) == 0);
  CHECK(*opened_size(BlockSuite::aes_gcm_sha256, seg) == kSealSegment);
}

TEST_CASE("BlockPtr encodes as id || key (suite 1) or 0x02 || id || key (suite 2)") {
  for (BlockSuite suite : kSuites) {
    CAPTURE(int(suite));
    SealedBlock sb = seal_block(pattern(10, 1), secret_of(1), suite);
    uint8_t enc[BlockPtr::kMaxEncodedSize];
    size_t n = sb.ptr.encoded_size();
    CHECK(n == (suite == BlockSuite::xchacha_blake2b ? 64u : 65u));
    sb.ptr.encode_to(enc);
    const uint8_t* body = enc + (n - 64);
    if (n == 65) CHECK(enc[0] == 2);
    CHECK(to_hex(ByteView(body, 32)) == sb.ptr.id.hex());
    CHECK(to_hex(ByteView(body + 32, 32)) == to_hex(sb.ptr.key));
    auto back = BlockPtr::decode(ByteView(enc, n));
    REQUIRE(back.ok());
    CHECK(*back == sb.ptr);
    CHECK(BlockPtr::decode(ByteView(enc, n - 1)).code() == (n == 65 ? Errc::ok : Errc::corrupt));
    Bytes longer(enc, enc + n);
    longer.push_back(0);
    CHECK(BlockPtr::decode(longer).code() == Errc::corrupt);
  }
  Bytes unknown(65, 0);
  unknown[0] = 3;
  CHECK(BlockPtr::decode(unknown).code() == Errc::corrupt);
}

// Computed once from this implementation and pinned: secret = bytes 0x00..0x1f,
// plaintext = "PeerStore golden block v1". Cross-checked independently (Python hashlib's keyed
// BLAKE2b for key and id; HChaCha20 + ChaCha20-Poly1305 from `cryptography` for the ciphertext).
TEST_CASE("golden vector, suite 1") {
  Bytes sb(32);
  for (int i = 0; i < 32; ++i) sb[i] = uint8_t(i);
  Secret secret(sb);
  SealedBlock s =
      seal_block(as_bytes("PeerStore golden block v1"), secret, BlockSuite::xchacha_blake2b);
  CHECK(to_hex(s.ptr.key) == "be61539106040a3b37c34e16a2ad4eac938bc0db41debd4c33f5b871bd5d6951");
  CHECK(s.ptr.id.hex() == "0b25f7dc0332ffbb68c92d5c08cad9521db7c8f2fe4068772c15646a018c780b");
  CHECK(to_hex(s.ciphertext) ==
        "c7b228e8c2f6aa7b9e99998322f973d5f70b4d9d1f944069537c4b126ada7691b2925b0b039f5e2fb6");
}

// Computed independently with Python (hmac + hashlib for key and id, `cryptography`'s AESGCM
// for the segments: nonce = index as 8 bytes big-endian, 3 zero bytes, last-segment flag).
TEST_CASE("golden vectors, suite 2") {
  Bytes sb(32);
  for (int i = 0; i < 32; ++i) sb[i] = uint8_t(i);
  Secret secret(sb);
  SealedBlock s = seal_block(as_bytes("PeerStore golden block v2"), secret);
  CHECK(s.ptr.suite == BlockSuite::aes_gcm_sha256);
  CHECK(to_hex(s.ptr.key) == "0a162e8fd86519dcdb8e0a0c7f93c3d548d75b3faaa3ee9756b6ebb856f296a4");
  CHECK(s.ptr.id.hex() == "682228e9b502673575c5729cd2526a352ce784bbffed48d44bbbef8b6a2ade96");
  CHECK(to_hex(s.ciphertext) ==
        "67070448bb4bdd6093228d02470e5a367edbe336677817879d833528fde4e716a26056fb7da2fd7bd0");
  // Three segments, the last one short.
  Bytes big(2 * 4096 + 100);
  for (size_t j = 0; j < big.size(); ++j) big[j] = uint8_t(j * 7 + (j >> 12));
  SealedBlock b = seal_block(big, secret);
  CHECK(b.ciphertext.size() == 8340);
  CHECK(to_hex(b.ptr.key) == "eee3ce3e683bd8ad54c014117d80a00a4c0eca4c311ed0f05c532de67649d930");
  CHECK(b.ptr.id.hex() == "98b87d1115e55b4599f0a2598ed719f2ed9d19c7e686b9b7b18c6fa65c2b713f");
}

}  // namespace
}  // namespace peerstore
