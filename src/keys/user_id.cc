#include "keys/user_id.h"

#include <sodium.h>

#include <array>
#include <cctype>

namespace peerstore {
namespace {

constexpr size_t kCheckSize = 4;
constexpr size_t kPayload = 32 + kCheckSize;
constexpr std::string_view kAlphabet = "abcdefghijklmnopqrstuvwxyz234567";
constexpr std::string_view kContext = "peerstore user id";

std::array<uint8_t, kCheckSize> check_of(const PublicKey& key) {
  uint8_t h[crypto_generichash_BYTES_MIN];
  crypto_generichash(h, sizeof h, key.b.data(), key.b.size(),
                     reinterpret_cast<const uint8_t*>(kContext.data()), kContext.size());
  std::array<uint8_t, kCheckSize> out;
  std::copy(h, h + kCheckSize, out.begin());
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

int value_of(char c) {
  c = char(std::tolower(static_cast<unsigned char>(c)));
  size_t at = kAlphabet.find(c);
  return at == std::string_view::npos ? -1 : int(at);
}

Error not_an_id() {
  return fail(Errc::invalid,
              "that is not a PeerStore user id (one starts with psu1 and has 62 characters); "
              "ask the user to run 'peerstore-share whoami' and send you its last line");
}

}  // namespace

std::string UserId::format(const PublicKey& user) {
  std::array<uint8_t, kPayload> payload;
  std::copy(user.b.begin(), user.b.end(), payload.begin());
  auto check = check_of(user);
  std::copy(check.begin(), check.end(), payload.begin() + 32);
  std::string out(kPrefix);
  uint32_t bits = 0;
  int have = 0;
  for (uint8_t byte : payload) {
    bits = (bits << 8) | byte;
    have += 8;
    while (have >= 5) {
      out += kAlphabet[(bits >> (have - 5)) & 31];
      have -= 5;
    }
  }
  if (have > 0) out += kAlphabet[(bits << (5 - have)) & 31];
  return out;
}

Result<PublicKey> UserId::parse(std::string_view s) {
  s = trim(s);
  if (s.size() != kLength) return not_an_id();
  for (size_t i = 0; i < kPrefix.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[i])) != kPrefix[i]) return not_an_id();
  std::array<uint8_t, kPayload> payload{};
  size_t n = 0;
  uint32_t bits = 0;
  int have = 0;
  for (char c : s.substr(kPrefix.size())) {
    int v = value_of(c);
    if (v < 0) return not_an_id();
    bits = (bits << 5) | uint32_t(v);
    have += 5;
    if (have >= 8) {
      payload[n++] = uint8_t(bits >> (have - 8));
      have -= 8;
    }
  }
  // 58 characters carry 290 bits: 36 bytes and 2 bits that a formatted id leaves zero.
  if (n != kPayload || (bits & ((1u << have) - 1)) != 0)
    return fail(Errc::corrupt, "this user id is mistyped; copy it again");
  PublicKey key;
  std::copy(payload.begin(), payload.begin() + 32, key.b.begin());
  auto check = check_of(key);
  if (!std::equal(check.begin(), check.end(), payload.begin() + 32))
    return fail(Errc::corrupt,
                "this user id is mistyped (its check does not match); copy it again");
  return key;
}

std::string UserId::short_form(const PublicKey& user) {
  return format(user).substr(0, kPrefix.size() + 8);
}

}  // namespace peerstore
