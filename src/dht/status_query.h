// query_status: asks the node at an address for its status over a client-only connection (the
// `peerstore status` command). Starts and stops its own loop thread; blocks the caller until
// the answer or the timeout. Thread-safe (each call is independent).
#pragma once

#include <chrono>
#include <string>

#include "dht/message.h"
#include "dht/peer_credentials.h"

namespace peerstore {

// `credentials` admit the query to the node's network (as for any peer).
Result<msg::NodeStatus> query_status(const std::string& address, PeerCredentialsPtr credentials,
                                     std::chrono::milliseconds timeout);

}  // namespace peerstore
