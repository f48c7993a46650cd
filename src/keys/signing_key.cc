#include "keys/signing_key.h"

#include <sodium.h>

namespace peerstore {

SigningKey SigningKey::generate() {
  Secret seed(kSeedSize);
  randombytes_buf(seed.data(), seed.size());
  return from_seed(seed);
}

SigningKey SigningKey::from_seed(const Secret& seed) {
  SigningKey k;
  k.seed_ = seed.clone();
  k.sk_ = Secret(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(k.pk_.b.data(), k.sk_.data(), k.seed_.data());
  return k;
}

Signature SigningKey::sign(ByteView message) const {
  Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk_.data());
  return sig;
}

bool verify_signature(const PublicKey& pk, ByteView message, ByteView signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     pk.b.data()) == 0;
}

}  // namespace peerstore
