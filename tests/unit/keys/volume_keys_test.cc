// VolumeKeys::derive_home: every computer of a user must find the same home volume from the
// user seed alone, and no two users (and no two sub-keys of one user) may share key material.
#include <doctest/doctest.h>

#include "keys/volume_keys.h"

namespace peerstore {
namespace {

SigningKey user_with_seed(uint8_t fill) {
  Bytes b(32, fill);
  return SigningKey::from_seed(Secret(b));
}

TEST_CASE("derive_home is deterministic per user seed") {
  VolumeKeys a = VolumeKeys::derive_home(user_with_seed(1));
  VolumeKeys b = VolumeKeys::derive_home(user_with_seed(1));
  CHECK(a.id() == b.id());
  CHECK(a.signer->public_key() == b.signer->public_key());
  CHECK(a.read_key == b.read_key);
  CHECK(a.convergence == b.convergence);
  CHECK(a.read_key.size() == 32);
  CHECK(a.convergence.size() == 32);
}

TEST_CASE("derive_home differs across users and separates its sub-keys") {
  SigningKey user = user_with_seed(1);
  VolumeKeys a = VolumeKeys::derive_home(user);
  VolumeKeys c = VolumeKeys::derive_home(user_with_seed(2));
  CHECK(a.id() != c.id());
  CHECK_FALSE(a.read_key == c.read_key);
  CHECK_FALSE(a.convergence == c.convergence);

  // Sub-keys are independent of each other and of the user key itself.
  CHECK_FALSE(a.read_key == a.convergence);
  CHECK_FALSE(a.signer->seed() == a.read_key);
  CHECK_FALSE(a.signer->seed() == user.seed());
  CHECK(a.id() != user.public_key());
}

}  // namespace
}  // namespace peerstore
