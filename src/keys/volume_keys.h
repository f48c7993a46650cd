// VolumeKeys: the keys of one volume. Writers hold the signing key; readers hold the read key
// (encrypts the head's root pointer) and the convergence secret (derives block keys). The
// user's home volume keys derive from the user seed, so every computer of a user finds the
// same home volume. Immutable; safe to share between threads.
#pragma once

#include "keys/signing_key.h"

namespace peerstore {

using VolumeId = Id256;

struct VolumeKeys {
  SigningKey signer;
  Secret read_key;     // 32 bytes
  Secret convergence;  // 32 bytes

  VolumeId id() const { return signer.public_key(); }
  static VolumeKeys derive_home(const SigningKey& user);
};

}  // namespace peerstore
