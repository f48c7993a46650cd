// Claim secrets: how a writer of a volume names its claims on blocks, and later proves a cancel
// (docs/lifecycle.md, Ring collection). The claim key K_claim(V) derives from the volume's
// signing key (crypto_kdf, context "psclaim1", subkey 1), so only the volume's writers can make
// or cancel claims; read-only members and storage nodes cannot. The cancel secret of device
// D's claim number e on block B is keyed BLAKE2b-256 under K_claim of D ‖ B ‖ e (32-bit big
// endian); its public tag, which replicas store (dht/claim_set.h), is claim_tag(secret).
// Immutable; safe to share between threads.
#pragma once

#include "common/result.h"
#include "keys/volume_keys.h"

namespace peerstore {

// The public tag of a cancel secret: BLAKE2b-256 of it keyed with "peerstore claims".
Id256 claim_tag(const Id256& secret);

class ClaimSecrets {
 public:
  // Errc::permission for keys without a signer (a read-only member makes no claims).
  static Result<ClaimSecrets> of(const VolumeKeys& keys);

  // The cancel secret of `device`'s claim `number` on `block`; it is revealed only to cancel.
  Id256 secret(const PublicKey& device, const Id256& block, uint32_t number) const;
  // Its tag: what a claim carries.
  Id256 tag(const PublicKey& device, const Id256& block, uint32_t number) const {
    return claim_tag(secret(device, block, number));
  }

 private:
  explicit ClaimSecrets(Secret key) : key_(std::move(key)) {}
  Secret key_;  // K_claim(V), 32 bytes
};

}  // namespace peerstore
