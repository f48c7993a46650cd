// test_credentials: credentials for transports and nodes in tests: a fresh device key each
// call, and a network secret made of one repeated byte, so tests pick "the same network"
// (the default) or "another network" by number. Thread-safe.
#pragma once

#include <cstring>
#include <memory>

#include "dht/peer_credentials.h"

namespace peerstore::test {

inline PeerCredentialsPtr test_credentials(uint8_t network = 1) {
  Secret secret(PeerCredentials::kNetworkSecretSize);
  std::memset(secret.data(), network, secret.size());
  return std::make_shared<PeerCredentials>(SigningKey::generate(), std::move(secret));
}

}  // namespace peerstore::test
