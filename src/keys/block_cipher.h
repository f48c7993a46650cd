// Block sealing: convergent XChaCha20-Poly1305 encryption of plaintext chunks and tree nodes.
// The per-block key is keyed BLAKE2b(convergence secret, plaintext), so identical chunks of one
// volume seal to identical blocks (dedup) while nobody without the secret can confirm a guessed
// plaintext. Each key encrypts exactly one plaintext, so a fixed nonce is safe.
// BlockId = BLAKE2b-256(ciphertext). Stateless functions; thread-safe.
#pragma once

#include <array>

#include "common/bytes.h"
#include "common/secret.h"

namespace peerstore {

using BlockKey = std::array<uint8_t, 32>;

// Everything needed to fetch and open one block.
struct BlockPtr {
  Id256 id;
  BlockKey key{};
  static constexpr size_t kEncodedSize = 64;
  void encode_to(uint8_t* out) const;
  static Result<BlockPtr> decode(ByteView in);
  bool operator==(const BlockPtr&) const = default;
};

inline constexpr size_t kSealOverhead = 16;  // Poly1305 tag

struct SealedBlock {
  BlockPtr ptr;
  Bytes ciphertext;
};

SealedBlock seal_block(ByteView plaintext, const Secret& convergence_secret);
// Seals into `out`, which has room for plaintext.size() + kSealOverhead bytes.
BlockPtr seal_block_into(ByteView plaintext, const Secret& convergence_secret, uint8_t* out);
// Errc::corrupt if the ciphertext does not authenticate under the key.
Result<Bytes> open_block(ByteView ciphertext, const BlockKey& key);
// Decrypts into `out` (ciphertext.size() - kSealOverhead bytes).
Status open_block_into(ByteView ciphertext, const BlockKey& key, uint8_t* out);
Id256 hash_block(ByteView ciphertext);

}  // namespace peerstore
