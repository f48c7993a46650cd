// Invite tokens carry the network secret to a new device. The contract: a token made from an
// address and a secret parses back to exactly those; anything else (a mistyped, cut or forged
// token) is an error that says to copy it again, never a wrong secret, and never a crash.
#include "keys/invite_token.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <cctype>
#include <string>
#include <vector>

#include "../common/must.h"
#include "common/bytes.h"

namespace peerstore {
namespace {

using test::must;

Secret secret_of(uint8_t fill) {
  Bytes b(32, fill);
  for (size_t i = 0; i < b.size(); ++i) b[i] = uint8_t(b[i] + i * 7);
  return Secret(b);
}

std::string base64_body(const std::string& token) {
  return token.substr(InviteToken::kPrefix.size());
}

// A token with a valid check around any address, as a forger who knows the format would make.
std::string forged(const std::string& address) {
  Bytes payload(32, 0x11);
  payload.insert(payload.end(), address.begin(), address.end());
  uint8_t h[crypto_generichash_BYTES_MIN];
  crypto_generichash(h, sizeof h, payload.data(), payload.size(),
                     reinterpret_cast<const uint8_t*>(InviteToken::kPrefix.data()),
                     InviteToken::kPrefix.size());
  payload.insert(payload.end(), h, h + 4);
  std::string b64(
      sodium_base64_ENCODED_LEN(payload.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(b64.data(), b64.size(), payload.data(), payload.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(InviteToken::kPrefix) + b64.c_str();
}

TEST_CASE("an invite token round-trips its address and secret") {
  for (std::string addr : {"127.0.0.1:3000", "node-1.example.org:65535", "[::1]:4000", "h:1"}) {
    CAPTURE(addr);
    std::string token = must(InviteToken::format(addr, secret_of(9)));
    CHECK(token.starts_with(InviteToken::kPrefix));
    CHECK(InviteToken::looks_like(token));
    // URL- and shell-safe: letters, digits, '-' and '_' only.
    for (char c : base64_body(token))
      CHECK((std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'));
    InviteToken back = must(InviteToken::parse(token));
    CHECK(back.address == addr);
    CHECK(back.network_secret == secret_of(9));
    // Whitespace a copy and paste adds around it is fine.
    CHECK(must(InviteToken::parse("  " + token + "\n")).address == addr);
  }
}

TEST_CASE("HOST:PORT is not an invite token") {
  CHECK_FALSE(InviteToken::looks_like("127.0.0.1:3000"));
  CHECK_FALSE(InviteToken::looks_like("peerstore-invite1.example.org:3000"));
  CHECK(InviteToken::parse("127.0.0.1:3000").code() == Errc::invalid);
}

TEST_CASE("every damaged form of a token is refused as damaged") {
  std::string token = must(InviteToken::format("10.0.0.1:3000", secret_of(3)));
  auto expect_damaged = [](const std::string& t) {
    auto r = InviteToken::parse(t);
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Errc::corrupt);
    CHECK(r.error().message().find("copy it again") != std::string::npos);
  };
  SUBCASE("any one character changed") {
    std::string body = base64_body(token);
    for (size_t i = 0; i < body.size(); ++i) {
      CAPTURE(i);
      std::string t = token;
      char& c = t[InviteToken::kPrefix.size() + i];
      c = c == 'A' ? 'B' : 'A';
      expect_damaged(t);
    }
  }
  SUBCASE("cut short or extended") {
    for (size_t n = InviteToken::kPrefix.size(); n < token.size(); ++n) {
      CAPTURE(n);
      expect_damaged(token.substr(0, n));
    }
    expect_damaged(token + "A");
    expect_damaged(token + "AAAA");
  }
  SUBCASE("not base64url") {
    expect_damaged(std::string(InviteToken::kPrefix) + "!!!!");
    expect_damaged(std::string(InviteToken::kPrefix) + "abc=");
    std::string plus = token;
    plus[plus.size() - 3] = '+';  // standard base64, not base64url
    expect_damaged(plus);
    expect_damaged(token.substr(0, token.size() - 5) + " " + token.substr(token.size() - 4));
  }
  SUBCASE("too long") {
    expect_damaged(std::string(InviteToken::kPrefix) + std::string(100000, 'A'));
    expect_damaged(token + std::string(InviteToken::kMaxLength, 'A'));
  }
}

TEST_CASE("a bad prefix is not a token") {
  std::string token = must(InviteToken::format("10.0.0.1:3000", secret_of(3)));
  std::string other = "peerstore-invite2-" + base64_body(token);
  CHECK(InviteToken::looks_like(other));  // a token still, so never taken for HOST:PORT
  auto r = InviteToken::parse(other);
  CHECK(r.code() == Errc::invalid);
  if (!r.ok()) CHECK(r.error().message().find("another version") != std::string::npos);
  CHECK(InviteToken::parse("xpeerstore-invite1-" + base64_body(token)).code() == Errc::invalid);
  CHECK(InviteToken::parse("").code() == Errc::invalid);
}

TEST_CASE("a token whose address is not HOST:PORT is refused, made or parsed") {
  for (const std::string& bad : std::vector<std::string>{
           "", "nocolon", ":3000", "host:", "host:0", "host:65536", "host:12a", "a b:3000",
           "host:3000;rm -rf", "h\n:1", "[::1:3000", std::string(300, 'a') + ":1"}) {
    CAPTURE(bad);
    CHECK(InviteToken::format(bad, secret_of(1)).code() == Errc::invalid);
    if (bad.size() <= InviteToken::kMaxAddress) {
      auto parsed = InviteToken::parse(forged(bad));
      CHECK(parsed.code() == (bad.size() < 3 ? Errc::corrupt : Errc::invalid));
    }
  }
  CHECK(must(InviteToken::parse(forged("good:1"))).address == "good:1");
  CHECK(InviteToken::format("h:1", Secret(Bytes(16, 1))).code() == Errc::invalid);
}

}  // namespace
}  // namespace peerstore
