#include "host/admission.h"

#include "dht/host_port.h"
#include "keys/invite_token.h"
#include "keys/network_secret.h"

namespace peerstore::host {

Result<Admission> admit(const DataDirLayout& layout, const std::string& join) {
  if (join.empty()) {
    PS_ASSIGN(Secret secret, load_or_create_network_secret(layout.data()));
    return Admission{{}, std::move(secret)};
  }
  if (InviteToken::looks_like(join)) {
    PS_ASSIGN(InviteToken token, InviteToken::parse(join));
    PS_TRY(adopt_network_secret(layout.data(), token.network_secret));
    return Admission{std::move(token.address), std::move(token.network_secret)};
  }
  // Checked before anything else: a typo must not become a join attempt at another address.
  if (auto hp = HostPort::parse(join); !hp)
    return fail(Errc::invalid,
                "--join " + hp.error().context + "; pass a member's HOST:PORT or an invite token");
  PS_ASSIGN(Secret secret, member_secret(layout,
                                         "get an invite with 'peerstore invite' on a member and "
                                         "pass --join TOKEN"));
  return Admission{join, std::move(secret)};
}

Result<Secret> member_secret(const DataDirLayout& layout, const std::string& what_to_do) {
  auto secret = load_network_secret(layout.data());
  if (!secret && secret.code() == Errc::not_found)
    return fail(Errc::not_found, "no network secret in " + layout.data() + "; " + what_to_do);
  return secret;
}

PeerCredentialsPtr make_credentials(SigningKey device, Secret network_secret) {
  return std::make_shared<const PeerCredentials>(std::move(device), std::move(network_secret));
}

}  // namespace peerstore::host
