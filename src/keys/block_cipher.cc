#include "keys/block_cipher.h"

#include <sodium.h>

namespace peerstore {

static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == kSealOverhead);

void BlockPtr::encode_to(uint8_t* out) const {
  std::memcpy(out, id.b.data(), 32);
  std::memcpy(out + 32, key.data(), 32);
}

Result<BlockPtr> BlockPtr::decode(ByteView in) {
  if (in.size() != kEncodedSize) return fail(Errc::corrupt, "block pointer of wrong size");
  BlockPtr p;
  std::memcpy(p.id.b.data(), in.data(), 32);
  std::memcpy(p.key.data(), in.data() + 32, 32);
  return p;
}

Id256 hash_block(ByteView ciphertext) {
  Id256 id;
  crypto_generichash(id.b.data(), id.b.size(), ciphertext.data(), ciphertext.size(), nullptr, 0);
  return id;
}

BlockPtr seal_block_into(ByteView plaintext, const Secret& convergence_secret, uint8_t* out) {
  BlockPtr p;
  crypto_generichash(p.key.data(), p.key.size(), plaintext.data(), plaintext.size(),
                     convergence_secret.data(), convergence_secret.size());
  static constexpr uint8_t kNonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {};
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out, &n, plaintext.data(), plaintext.size(), nullptr,
                                             0, nullptr, kNonce, p.key.data());
  p.id = hash_block(ByteView(out, plaintext.size() + kSealOverhead));
  return p;
}

SealedBlock seal_block(ByteView plaintext, const Secret& convergence_secret) {
  SealedBlock s;
  s.ciphertext.resize(plaintext.size() + kSealOverhead);
  s.ptr = seal_block_into(plaintext, convergence_secret, s.ciphertext.data());
  return s;
}

Status open_block_into(ByteView ciphertext, const BlockKey& key, uint8_t* out) {
  if (ciphertext.size() < kSealOverhead) return fail(Errc::corrupt, "block too short");
  static constexpr uint8_t kNonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES] = {};
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &n, nullptr, ciphertext.data(),
                                                 ciphertext.size(), nullptr, 0, kNonce,
                                                 key.data()) != 0)
    return fail(Errc::corrupt, "block does not authenticate");
  return {};
}

Result<Bytes> open_block(ByteView ciphertext, const BlockKey& key) {
  if (ciphertext.size() < kSealOverhead) return fail(Errc::corrupt, "block too short");
  Bytes out(ciphertext.size() - kSealOverhead);
  PS_TRY(open_block_into(ciphertext, key, out.data()));
  return out;
}

}  // namespace peerstore
