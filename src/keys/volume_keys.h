// VolumeKeys: the keys of one volume. Writers hold the signing key; readers hold the read key
// (encrypts the head's root pointer) and the convergence secret (derives block keys). A
// read-only member of a shared volume has no signing key: only the volume's id, its public
// key, to verify heads with. The user's home volume keys derive from the user seed, so every
// computer of a user finds the same home volume. Immutable; safe to share between threads.
#pragma once

#include <optional>

#include "keys/signing_key.h"

namespace peerstore {

using VolumeId = Id256;

struct VolumeKeys {
  std::optional<SigningKey> signer;  // writers only
  Secret read_key;                   // 32 bytes
  Secret convergence;                // 32 bytes
  VolumeId reader_id{};              // the volume's id when there is no signer

  VolumeId id() const { return signer ? signer->public_key() : reader_id; }
  bool writable() const { return signer.has_value(); }
  static VolumeKeys derive_home(const SigningKey& user);
  static VolumeKeys read_only(const VolumeId& id, Secret read_key, Secret convergence) {
    return VolumeKeys{std::nullopt, std::move(read_key), std::move(convergence), id};
  }
};

}  // namespace peerstore
