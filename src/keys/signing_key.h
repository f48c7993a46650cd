// SigningKey: an Ed25519 key pair whose secret half lives in wiped, locked memory, and
// signature verification. Immutable after construction; safe to share between threads.
#pragma once

#include <array>

#include "common/bytes.h"
#include "common/secret.h"

namespace peerstore {

using PublicKey = Id256;  // Ed25519 public keys are 32 bytes
using Signature = std::array<uint8_t, 64>;

class SigningKey {
 public:
  static constexpr size_t kSeedSize = 32;

  static SigningKey generate();
  static SigningKey from_seed(const Secret& seed);  // seed.size() == kSeedSize

  const PublicKey& public_key() const { return pk_; }
  const Secret& seed() const { return seed_; }
  Signature sign(ByteView message) const;

 private:
  SigningKey() = default;
  PublicKey pk_;
  Secret seed_;
  Secret sk_;  // libsodium's 64-byte expanded secret key
};

bool verify_signature(const PublicKey& pk, ByteView message, ByteView signature);

}  // namespace peerstore
