// UserId: how one user names another to share with them (docs/sharing.md, Users and their ids):
//   psu1 BASE32(public key[32] || check[4])
// in the RFC 4648 alphabet, lower case, no padding: 62 characters, one token to copy and paste.
// The check (BLAKE2b of the key, keyed with "peerstore user id") turns a mistyped id into an
// error instead of a share with nobody. Parsing is untrusted input: length capped, never crashes.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "keys/signing_key.h"

namespace peerstore {

struct UserId {
  static constexpr std::string_view kPrefix = "psu1";
  static constexpr size_t kLength = 62;

  static std::string format(const PublicKey& user);
  // Accepts surrounding spaces and either case. Errc::invalid for something that is no user id
  // at all, Errc::corrupt for one with a typo (its check fails), each with a message for people.
  static Result<PublicKey> parse(std::string_view s);
  // For names in a mount when the user gave none: the prefix and the next 8 characters.
  static std::string short_form(const PublicKey& user);
};

}  // namespace peerstore
