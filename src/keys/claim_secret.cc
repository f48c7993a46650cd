#include "keys/claim_secret.h"

#include <sodium.h>

#include <string_view>

namespace peerstore {
namespace {

constexpr std::string_view kTagContext = "peerstore claims";  // 16 bytes: a BLAKE2b key
constexpr char kClaimKeyContext[crypto_kdf_CONTEXTBYTES] = {'p', 's', 'c', 'l', 'a', 'i', 'm', '1'};

}  // namespace

Id256 claim_tag(const Id256& secret) {
  Id256 tag;
  crypto_generichash(tag.b.data(), tag.b.size(), secret.b.data(), secret.b.size(),
                     reinterpret_cast<const uint8_t*>(kTagContext.data()), kTagContext.size());
  return tag;
}

Result<ClaimSecrets> ClaimSecrets::of(const VolumeKeys& keys) {
  if (!keys.signer)
    return fail(Errc::permission, "a read-only member of a volume makes no claims on its blocks");
  Secret key(32);
  crypto_kdf_derive_from_key(key.data(), key.size(), 1, kClaimKeyContext,
                             keys.signer->seed().data());
  return ClaimSecrets(std::move(key));
}

Id256 ClaimSecrets::secret(const PublicKey& device, const Id256& block, uint32_t number) const {
  uint8_t in[32 + 32 + 4];
  std::copy(device.b.begin(), device.b.end(), in);
  std::copy(block.b.begin(), block.b.end(), in + 32);
  for (int i = 0; i < 4; ++i) in[64 + i] = uint8_t(number >> (24 - 8 * i));
  Id256 out;
  crypto_generichash(out.b.data(), out.b.size(), in, sizeof in, key_.data(), key_.size());
  return out;
}

}  // namespace peerstore
