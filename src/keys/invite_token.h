// InviteToken: what `peerstore invite` prints and `--join` takes: the address of a member and
// the network secret, on one line that a shell and a URL leave alone:
//   peerstore-invite1-BASE64URL(secret[32] || address || check[4])
// The check (BLAKE2b of the rest) turns a mistyped token into "damaged" rather than a wrong
// secret. Parsing is untrusted input: capped and never crashes; the decoded secret goes straight
// into a Secret. Whoever holds a token is admitted to the network. Move-only value; not
// synchronized.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/secret.h"

namespace peerstore {

struct InviteToken {
  static constexpr std::string_view kPrefix = "peerstore-invite1-";
  static constexpr size_t kMaxAddress = 255;
  static constexpr size_t kMaxLength = 512;

  std::string address;  // HOST:PORT
  Secret network_secret;

  // True for anything that starts like a token (damaged or not), so `--join` can tell a token
  // from HOST:PORT and report a damaged one as such.
  static bool looks_like(std::string_view s);
  // Errc::corrupt ("this invite token is damaged; copy it again") or Errc::invalid.
  static Result<InviteToken> parse(std::string_view s);
  // Errc::invalid if the address is not HOST:PORT or the secret not 32 bytes.
  static Result<std::string> format(const std::string& address, const Secret& network_secret);
};

}  // namespace peerstore
