// The network secret: 32 random bytes that admit a device to one PeerStore network (DESIGN §6).
// Kept in DATA/network.key, a plain key file of kind "network" (mode 0600). The node that starts
// a ring creates it; a node that joins adopts it from an invite token. Stateless functions;
// thread-safe (two first starts on one data directory agree on one secret).
#pragma once

#include <string>

#include "common/result.h"
#include "common/secret.h"

namespace peerstore {

constexpr size_t kNetworkSecretSize = 32;

std::string network_secret_path(const std::string& data_dir);
// Errc::not_found (context "no network secret in DATA") if the data directory has none.
Result<Secret> load_network_secret(const std::string& data_dir);
// The stored secret, or a new random one stored now (for a node that starts a ring).
Result<Secret> load_or_create_network_secret(const std::string& data_dir);
// Stores `secret` (from an invite). Already stored: fine if equal, Errc::exists with what to do
// if not (the data directory belongs to another network).
Status adopt_network_secret(const std::string& data_dir, const Secret& secret);

}  // namespace peerstore
