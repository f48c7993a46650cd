#include "keys/invite_token.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>

#include "keys/network_secret.h"

namespace peerstore {
namespace {

constexpr size_t kCheckSize = 4;
constexpr std::string_view kFamily = "peerstore-invite";
constexpr size_t kMaxPayload = kNetworkSecretSize + InviteToken::kMaxAddress + kCheckSize;

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// HOST:PORT as the nodes write it: a host name or IPv4 address, or an IPv6 one in brackets, and
// a port 1-65535. Deliberately strict: the token is printed and pasted into shells.
bool valid_address(std::string_view a) {
  size_t colon = a.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || a.size() - colon - 1 > 5 ||
      a.size() > InviteToken::kMaxAddress)
    return false;
  std::string_view host = a.substr(0, colon), port = a.substr(colon + 1);
  if (port.empty()) return false;
  unsigned p = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    p = p * 10 + unsigned(c - '0');
  }
  if (p == 0 || p > 65535) return false;
  bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  for (char c : host) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
              (bracketed && (c == ':' || c == '%'));
    if (!ok) return false;
  }
  return true;
}

void check_of(const uint8_t* data, size_t n, uint8_t out[kCheckSize]) {
  uint8_t h[crypto_generichash_BYTES_MIN];
  crypto_generichash(h, sizeof h, data, n,
                     reinterpret_cast<const uint8_t*>(InviteToken::kPrefix.data()),
                     InviteToken::kPrefix.size());
  std::copy(h, h + kCheckSize, out);
}

Error damaged() {
  return fail(Errc::corrupt, "this invite token is damaged; copy it again");
}

}  // namespace

bool InviteToken::looks_like(std::string_view s) {
  // Any version of a token; never HOST:PORT, which has a colon that base64url never holds.
  s = trim(s);
  return s.starts_with(kFamily) && s.find(':') == std::string_view::npos;
}

Result<InviteToken> InviteToken::parse(std::string_view s) {
  s = trim(s);
  if (s.starts_with(kFamily) && !s.starts_with(kPrefix))
    return fail(Errc::invalid,
                "this invite token was made by another version of PeerStore; make one with "
                "this version's 'peerstore invite'");
  if (!s.starts_with(kPrefix))
    return fail(Errc::invalid, "not an invite token (they start with " + std::string(kPrefix) +
                                   "); get one with 'peerstore invite' on a member");
  if (s.size() > kMaxLength) return damaged();
  std::string_view b64 = s.substr(kPrefix.size());
  Secret payload(kMaxPayload);  // wiped when freed: it holds the secret
  size_t n = 0;
  const char* end = nullptr;
  if (sodium_base642bin(payload.data(), payload.size(), b64.data(), b64.size(), nullptr, &n, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      end != b64.data() + b64.size() || n < kNetworkSecretSize + kCheckSize + 3)
    return damaged();
  size_t body = n - kCheckSize;
  uint8_t check[kCheckSize];
  check_of(payload.data(), body, check);
  if (sodium_memcmp(check, payload.data() + body, kCheckSize) != 0) return damaged();
  std::string address(reinterpret_cast<const char*>(payload.data()) + kNetworkSecretSize,
                      body - kNetworkSecretSize);
  if (!valid_address(address))
    return fail(Errc::invalid,
                "this invite token names no valid HOST:PORT; make a new one with "
                "'peerstore invite --address HOST:PORT'");
  return InviteToken{std::move(address), Secret({payload.data(), kNetworkSecretSize})};
}

Result<std::string> InviteToken::format(const std::string& address, const Secret& secret) {
  if (!valid_address(address)) return fail(Errc::invalid, "'" + address + "' is not HOST:PORT");
  if (secret.size() != kNetworkSecretSize)
    return fail(Errc::invalid,
                "a network secret is " + std::to_string(kNetworkSecretSize) + " bytes");
  size_t n = kNetworkSecretSize + address.size() + kCheckSize;
  Secret payload(n);
  std::copy(secret.data(), secret.data() + kNetworkSecretSize, payload.data());
  std::copy(address.begin(), address.end(), payload.data() + kNetworkSecretSize);
  check_of(payload.data(), n - kCheckSize, payload.data() + n - kCheckSize);
  size_t b64_len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  Secret b64(b64_len);
  sodium_bin2base64(reinterpret_cast<char*>(b64.data()), b64_len, payload.data(), n,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(kPrefix) + reinterpret_cast<const char*>(b64.data());
}

}  // namespace peerstore
