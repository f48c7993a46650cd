#include "keys/volume_keys.h"

#include <sodium.h>

namespace peerstore {

VolumeKeys VolumeKeys::derive_home(const SigningKey& user) {
  static constexpr char kContext[crypto_kdf_CONTEXTBYTES] = {'p', 's', 'h', 'o', 'm', 'e', 'v', '1'};
  auto derive = [&](uint64_t sub) {
    Secret out(32);
    crypto_kdf_derive_from_key(out.data(), out.size(), sub, kContext, user.seed().data());
    return out;
  };
  Secret sign_seed = derive(1);
  return VolumeKeys{SigningKey::from_seed(sign_seed), derive(2), derive(3)};
}

}  // namespace peerstore
