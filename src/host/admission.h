// Admission: what `--join` means for a starting node: which node of which ring it joins (none:
// it starts a new ring) and the network secret it proves in every handshake (DESIGN §6), kept
// in DATA/network.key. Stateless functions; thread-safe.
#pragma once

#include <string>

#include "common/result.h"
#include "common/secret.h"
#include "dht/peer_credentials.h"
#include "host/data_dir_layout.h"

namespace peerstore::host {

struct Admission {
  std::string join;  // HOST:PORT of a member; empty: start a new ring
  Secret network_secret;
};

// `--join` as given: empty starts a ring (DATA/network.key loaded or created); an invite token
// is adopted into DATA and its address joined; HOST:PORT is joined with the secret already in
// DATA (without one: Errc::not_found with a one-line message that says how to get an invite).
Result<Admission> admit(const DataDirLayout& layout, const std::string& join);

// The network secret in DATA for a tool that joins nothing (`peerstore status`); without one,
// Errc::not_found whose message ends with `what_to_do`.
Result<Secret> member_secret(const DataDirLayout& layout, const std::string& what_to_do);

PeerCredentialsPtr make_credentials(SigningKey device, Secret network_secret);

}  // namespace peerstore::host
