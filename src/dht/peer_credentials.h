// PeerCredentials: what a node proves in every handshake: its device key (whose BLAKE2b is its
// ring id) and the network secret that admits it to one PeerStore network (DESIGN §6). Both
// secrets live in sodium_malloc'ed memory. Immutable once built; shared read-only between
// threads through a shared_ptr.
#pragma once

#include <memory>

#include "common/secret.h"
#include "keys/network_secret.h"
#include "keys/signing_key.h"

namespace peerstore {

struct PeerCredentials {
  static constexpr size_t kNetworkSecretSize = peerstore::kNetworkSecretSize;

  SigningKey device;
  Secret network_secret;  // kNetworkSecretSize bytes

  PeerCredentials(SigningKey d, Secret s) : device(std::move(d)), network_secret(std::move(s)) {}
};

using PeerCredentialsPtr = std::shared_ptr<const PeerCredentials>;

}  // namespace peerstore
