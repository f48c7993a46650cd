#include "host/invitation.h"

#include "host/admission.h"
#include "host/node_address.h"
#include "keys/invite_token.h"

namespace peerstore::host {

Result<Invitation> make_invitation(const DataDirLayout& layout, std::string address) {
  const std::string& data = layout.data();
  PS_ASSIGN(Secret secret, member_secret(layout,
                                         "start the node first (peerstorefs or "
                                         "peerstore-node with --data " +
                                             data + ")"));
  if (address.empty()) {
    auto running = read_node_address(layout);
    if (!running)
      return fail(Errc::not_found, "no node is running on " + data +
                                       "; start it, or give --address HOST:PORT of a member");
    address = *running;
  }
  Invitation inv;
  PS_ASSIGN(inv.token, InviteToken::format(address, secret));
  inv.local_only = address.starts_with("127.") || address.starts_with("localhost:") ||
                   address.starts_with("[::1]:");
  inv.address = std::move(address);
  return inv;
}

}  // namespace peerstore::host
