#include "dht/node_ref.h"

#include <sodium.h>

namespace peerstore {

Id256 node_id_for(const PublicKey& device_key) {
  Id256 id;
  crypto_generichash(id.b.data(), id.b.size(), device_key.b.data(), device_key.b.size(), nullptr,
                     0);
  return id;
}

}  // namespace peerstore
