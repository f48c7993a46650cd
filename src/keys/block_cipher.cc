#include "keys/block_cipher.h"

#include <sodium.h>

#include <cstring>

#include "keys/aead.h"
#include "keys/block_suite_aes.h"

namespace peerstore {
namespace {

static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kSealTag);

constexpr size_t kSealedSegment = kSealSegment + kSealTag;

// Suite 1: one XChaCha20-Poly1305 box; each key seals one plaintext, so the nonce is fixed.
constexpr uint8_t kNonce1[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {};

Id256 blake2b(ByteView data) {
  Id256 id;
  crypto_generichash(id.b.data(), id.b.size(), data.data(), data.size(), nullptr, 0);
  return id;
}

Id256 sha256(ByteView data) {
  Id256 id;
  suite2::sha256(data, id.b.data());
  return id;
}

Status open1(ByteView ciphertext, const BlockKey& key, uint8_t* out) {
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &n, nullptr, ciphertext.data(),
                                                 ciphertext.size(), nullptr, 0, kNonce1,
                                                 key.data()) != 0)
    return fail(Errc::corrupt, "block does not authenticate");
  return {};
}

}  // namespace

BlockSuite default_write_suite() {
  return aes_gcm_in_hardware() ? BlockSuite::aes_gcm_sha256 : BlockSuite::xchacha_blake2b;
}

void BlockPtr::encode_to(uint8_t* out) const {
  if (suite != BlockSuite::xchacha_blake2b) *out++ = uint8_t(suite);
  std::memcpy(out, id.b.data(), 32);
  std::memcpy(out + 32, key.data(), 32);
}

Result<BlockPtr> BlockPtr::decode(ByteView in) {
  BlockPtr p;
  if (in.size() == 64) {
    p.suite = BlockSuite::xchacha_blake2b;
  } else if (in.size() == 65 && in[0] == uint8_t(BlockSuite::aes_gcm_sha256)) {
    p.suite = BlockSuite::aes_gcm_sha256;
    in = in.subspan(1);
  } else {
    return fail(Errc::corrupt, in.size() == 65 ? "block pointer of an unknown suite"
                                               : "block pointer of wrong size");
  }
  std::memcpy(p.id.b.data(), in.data(), 32);
  std::memcpy(p.key.data(), in.data() + 32, 32);
  return p;
}

Result<size_t> opened_size(BlockSuite suite, size_t sealed) {
  if (sealed < kSealTag) return fail(Errc::corrupt, "block too short");
  if (suite == BlockSuite::xchacha_blake2b) return sealed - kSealTag;
  size_t segs = (sealed + kSealedSegment - 1) / kSealedSegment;
  size_t last = sealed - (segs - 1) * kSealedSegment;
  // Only a block of one segment may have an empty one: sealing never writes an empty last
  // segment after full ones, so each plaintext has exactly one sealed form.
  if (last < kSealTag || (last == kSealTag && segs > 1))
    return fail(Errc::corrupt, "block of an impossible size");
  return sealed - segs * kSealTag;
}

Id256 hash_block(ByteView ciphertext, BlockSuite suite) {
  return suite == BlockSuite::xchacha_blake2b ? blake2b(ciphertext) : sha256(ciphertext);
}

bool block_id_matches(const Id256& id, ByteView ciphertext) {
  return sha256(ciphertext) == id || blake2b(ciphertext) == id;
}

BlockPtr seal_block_into(ByteView plaintext, const Secret& convergence_secret, uint8_t* out,
                         BlockSuite suite) {
  BlockPtr p;
  p.suite = suite;
  if (suite == BlockSuite::xchacha_blake2b) {
    crypto_generichash(p.key.data(), p.key.size(), plaintext.data(), plaintext.size(),
                       convergence_secret.data(), convergence_secret.size());
    unsigned long long n = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(out, &n, plaintext.data(), plaintext.size(), nullptr,
                                               0, nullptr, kNonce1, p.key.data());
  } else {
    suite2::derive_key(plaintext, convergence_secret, p.key.data());
    suite2::seal(plaintext, p.key.data(), out);
  }
  p.id = hash_block(ByteView(out, sealed_size(suite, plaintext.size())), suite);
  return p;
}

SealedBlock seal_block(ByteView plaintext, const Secret& convergence_secret, BlockSuite suite) {
  SealedBlock s;
  s.ciphertext.resize(sealed_size(suite, plaintext.size()));
  s.ptr = seal_block_into(plaintext, convergence_secret, s.ciphertext.data(), suite);
  return s;
}

Status open_block_into(ByteView ciphertext, const BlockPtr& ptr, uint8_t* out) {
  PS_ASSIGN(size_t size, opened_size(ptr.suite, ciphertext.size()));
  if (ptr.suite == BlockSuite::xchacha_blake2b) return open1(ciphertext, ptr.key, out);
  if (size == 0) {
    uint8_t none[1];
    return suite2::open_range(ciphertext, 0, 0, ptr.key.data(), 0, 0, none);
  }
  return suite2::open_range(ciphertext, 0, size, ptr.key.data(), 0, size, out);
}

Result<Bytes> open_block(ByteView ciphertext, const BlockPtr& ptr) {
  PS_ASSIGN(size_t size, opened_size(ptr.suite, ciphertext.size()));
  Bytes out(size);
  PS_TRY(open_block_into(ciphertext, ptr, out.data()));
  return out;
}

void sealed_span(size_t lo, size_t hi, size_t* off, size_t* len) {
  constexpr size_t seg = kSealSegment + kSealTag;
  size_t first = lo / kSealSegment, last = hi > lo ? (hi - 1) / kSealSegment : first;
  *off = first * seg;
  *len = (last - first + 1) * seg;
}

Status open_block_part(ByteView part, size_t part_offset, size_t sealed, const BlockPtr& ptr,
                       size_t lo, size_t hi, uint8_t* out, size_t* copied) {
  *copied = 0;
  PS_ASSIGN(size_t size, opened_size(ptr.suite, sealed));
  size_t end = std::min(hi, size);
  if (lo >= end) return {};
  if (ptr.suite == BlockSuite::aes_gcm_sha256) {
    PS_TRY(suite2::open_range(part, part_offset, size, ptr.key.data(), lo, end, out));
  } else if (part_offset != 0 || part.size() != sealed) {
    return fail(Errc::corrupt, "a suite 1 block opens only whole");
  } else if (lo == 0 && end == size) {  // the whole block: no bounce buffer
    PS_TRY(open1(part, ptr.key, out));
  } else {
    Bytes tmp(size);
    PS_TRY(open1(part, ptr.key, tmp.data()));
    std::memcpy(out, tmp.data() + lo, end - lo);
    sodium_memzero(tmp.data(), tmp.size());
  }
  *copied = end - lo;
  return {};
}

Status open_block_range(ByteView ciphertext, const BlockPtr& ptr, size_t lo, size_t hi,
                        uint8_t* out, size_t* copied) {
  return open_block_part(ciphertext, 0, ciphertext.size(), ptr, lo, hi, out, copied);
}

}  // namespace peerstore
