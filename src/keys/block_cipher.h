// Block sealing: convergent encryption of plaintext chunks and tree nodes. The per-block key is
// a keyed hash of (convergence secret, plaintext), so identical chunks of one volume seal to
// identical blocks (dedup) while nobody without the secret can confirm a guessed plaintext.
// Each key encrypts exactly one plaintext, so fixed nonces are safe. The block id is a hash of
// the ciphertext, which any peer can check without a key. Two suites (docs/security.md):
//   1 (legacy, still read): key keyed BLAKE2b-256, one XChaCha20-Poly1305 box with a zero
//     nonce, id BLAKE2b-256; the pointer encodes as id || key (64 bytes).
//   2 (written now): key HMAC-SHA-256, AES-256-GCM over 4 KiB segments in the STREAM
//     construction (nonce = segment index and a last-segment flag, one tag per segment) so a
//     read of a few bytes opens only the segments it touches, id SHA-256; the pointer encodes
//     as 0x02 || id || key (65 bytes). OpenSSL uses AES-NI and the SHA extensions where the
//     CPU has them.
// Stateless functions; thread-safe.
#pragma once

#include <array>

#include "common/bytes.h"
#include "common/secret.h"

namespace peerstore {

using BlockKey = std::array<uint8_t, 32>;

enum class BlockSuite : uint8_t {
  xchacha_blake2b = 1,
  aes_gcm_sha256 = 2,
};
// The suite new blocks get: 2 where the CPU has AES and carry-less multiply instructions (every
// x86-64 CPU of the last decade, every 64-bit ARM one with the crypto extensions), else 1, whose
// ChaCha20 is fast and constant-time in software.
BlockSuite default_write_suite();

// Everything needed to fetch and open one block.
struct BlockPtr {
  Id256 id;
  BlockKey key{};
  BlockSuite suite = BlockSuite::aes_gcm_sha256;
  static constexpr size_t kMaxEncodedSize = 65;
  size_t encoded_size() const { return suite == BlockSuite::xchacha_blake2b ? 64 : 65; }
  // Writes encoded_size() bytes.
  void encode_to(uint8_t* out) const;
  static Result<BlockPtr> decode(ByteView in);
  bool operator==(const BlockPtr&) const = default;
};

// Suite 2's plaintext segment; every segment but the last is full.
inline constexpr size_t kSealSegment = 4096;
inline constexpr size_t kSealTag = 16;

// The sealed size of `plain` bytes; the plaintext size of `sealed` bytes (Errc::corrupt if no
// block of the suite has that size).
constexpr size_t sealed_size(BlockSuite suite, size_t plain) {
  if (suite == BlockSuite::xchacha_blake2b || plain == 0) return plain + kSealTag;
  return plain + kSealTag * ((plain + kSealSegment - 1) / kSealSegment);
}
// The larger sealed size of the two suites: what space budgets assume.
constexpr size_t max_sealed_size(size_t plain) {
  return sealed_size(BlockSuite::aes_gcm_sha256, plain);
}
Result<size_t> opened_size(BlockSuite suite, size_t sealed);

struct SealedBlock {
  BlockPtr ptr;
  Bytes ciphertext;
};

SealedBlock seal_block(ByteView plaintext, const Secret& convergence_secret,
                       BlockSuite suite = default_write_suite());
// Seals into `out`, which has room for sealed_size(suite, plaintext.size()) bytes.
BlockPtr seal_block_into(ByteView plaintext, const Secret& convergence_secret, uint8_t* out,
                         BlockSuite suite = default_write_suite());
// Errc::corrupt if the ciphertext does not authenticate under the pointer's key and suite (the
// pointer's id is not checked: the key, from an authenticated parent, binds the content).
Result<Bytes> open_block(ByteView ciphertext, const BlockPtr& ptr);
// Decrypts into `out` (opened_size bytes).
Status open_block_into(ByteView ciphertext, const BlockPtr& ptr, uint8_t* out);
// Decrypts plaintext bytes [lo, min(hi, size)) into `out` and sets *copied. Suite 2 opens and
// authenticates only the segments the range touches; suite 1 opens the whole block. On an
// error nothing unauthenticated is left in `out`.
Status open_block_range(ByteView ciphertext, const BlockPtr& ptr, size_t lo, size_t hi,
                        uint8_t* out, size_t* copied);

// Suite 2: the span [*off, *off + *len) of sealed bytes that holds every segment of plaintext
// [lo, hi) (it may run past the block's end: clip it there).
void sealed_span(size_t lo, size_t hi, size_t* off, size_t* len);
// open_block_range given only part of the sealed bytes: `part` starts at byte `part_offset` of a
// block of `sealed` bytes in all and holds at least sealed_span(lo, min(hi, size)); suite 1
// blocks need all their bytes. Errc::corrupt if a needed byte is missing.
Status open_block_part(ByteView part, size_t part_offset, size_t sealed, const BlockPtr& ptr,
                       size_t lo, size_t hi, uint8_t* out, size_t* copied);

// The id of a block of `suite` with these bytes. Heads and other raw blocks use suite 1's hash.
Id256 hash_block(ByteView ciphertext, BlockSuite suite = BlockSuite::xchacha_blake2b);
// Whether `id` names these bytes under either suite's hash: what a storage node checks before
// it keeps or serves a copy (it cannot know the suite).
bool block_id_matches(const Id256& id, ByteView ciphertext);

}  // namespace peerstore
