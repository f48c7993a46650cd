// Deterministic keys for the keys suite's tests: a user's key pair and a secret, each filled
// with one byte. Test-only; not for anything real.
#pragma once

#include "keys/signing_key.h"

namespace peerstore::test {

inline Secret secret_of(uint8_t fill) {
  Bytes b(32, fill);
  return Secret(b);
}

inline SigningKey user_with_seed(uint8_t fill) {
  return SigningKey::from_seed(secret_of(fill));
}

}  // namespace peerstore::test
