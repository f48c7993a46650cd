// NodeRef: how one Chord node names another: its ring id and the transport address it listens
// on ("127.0.0.1:3000", or a simulator name). A node's id is BLAKE2b-256 of its device public
// key, so nobody picks their position on the ring. Value type; not synchronized.
#pragma once

#include <string>

#include "common/bytes.h"
#include "keys/signing_key.h"

namespace peerstore {

struct NodeRef {
  Id256 id;
  std::string addr;

  bool empty() const { return addr.empty(); }
  bool operator==(const NodeRef& o) const { return id == o.id && addr == o.addr; }
  std::string str() const { return id.short_hex() + "@" + addr; }
};

inline constexpr size_t kMaxAddressSize = 255;

// BLAKE2b-256(device public key).
Id256 node_id_for(const PublicKey& device_key);

}  // namespace peerstore
