#include "host/status_client.h"

#include "dht/status_query.h"
#include "host/admission.h"
#include "host/node_address.h"

namespace peerstore::host {

Result<msg::NodeStatus> ask_node_status(const DataDirLayout& layout, std::string node) {
  if (node.empty()) {
    PS_ASSIGN(node, read_node_address(layout));
  }
  // A status query joins nothing, so it proves a key of its own rather than the node's; the
  // network secret is what admits it.
  PS_ASSIGN(Secret secret,
            member_secret(layout, "give --data DIR of a member of the node's network"));
  auto creds = make_credentials(SigningKey::generate(), std::move(secret));
  return query_status(node, std::move(creds), std::chrono::seconds(5));
}

}  // namespace peerstore::host
