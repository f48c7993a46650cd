// UserId: the token a user gives another to be shared with. Its bytes are pinned by a value
// computed independently (Python's hashlib and base64); a typo anywhere is caught by the check
// and reported as such, and anything that is no id at all says what to do.
#include "keys/user_id.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <cctype>

#include "../common/must.h"

namespace peerstore {
namespace {

using test::must;

// hashlib.blake2b(key, digest_size=16, key=b"peerstore user id").digest()[:4], then
// base64.b32encode(key + check) without padding, lower case, after "psu1".
constexpr std::string_view kGolden =
    "psu1ijbeeqscijbeeqscijbeeqscijbeeqscijbeeqscijbeeqscijbbxof7my";

PublicKey key_of(uint8_t fill) {
  PublicKey k;
  k.b.fill(fill);
  return k;
}

TEST_CASE("user id: the format, pinned") {
  CHECK(UserId::format(key_of(0x42)) == kGolden);
  CHECK(kGolden.size() == UserId::kLength);
  CHECK(must(UserId::parse(kGolden)) == key_of(0x42));
  CHECK(UserId::short_form(key_of(0x42)) == "psu1ijbeeqsc");
}

TEST_CASE("user id: every key goes there and back, pasted with spaces or in capitals") {
  for (int i = 0; i < 200; ++i) {
    PublicKey k;
    randombytes_buf(k.b.data(), k.b.size());
    std::string id = UserId::format(k);
    CHECK(id.size() == UserId::kLength);
    CHECK(must(UserId::parse(id)) == k);
    std::string upper = id;
    for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
    CHECK(must(UserId::parse("  " + upper + "\n")) == k);
  }
}

TEST_CASE("user id: a typo anywhere after the prefix is caught by the check") {
  const std::string id(kGolden);
  for (size_t i = UserId::kPrefix.size(); i < id.size(); ++i) {
    for (char c : std::string_view("abcdefghijklmnopqrstuvwxyz234567")) {
      if (c == id[i]) continue;
      std::string typo = id;
      typo[i] = c;
      auto r = UserId::parse(typo);
      REQUIRE_MESSAGE(!r.ok(), typo);
      CHECK(r.code() == Errc::corrupt);
      CHECK(r.error().message().find("mistyped") != std::string::npos);
    }
  }
}

TEST_CASE("user id: something that is no id says what to do") {
  const std::string id(kGolden);
  for (std::string bad :
       {std::string(), std::string("psu1"), std::string("hello"), "psu2" + id.substr(4),
        id.substr(0, 61), id + "a", id.substr(4), id.substr(0, 20) + "0" + id.substr(21),
        id.substr(0, 20) + "!" + id.substr(21), std::string(62, 'a'), std::string(10000, 'p')}) {
    auto r = UserId::parse(bad);
    REQUIRE_MESSAGE(!r.ok(), bad);
    CHECK(r.code() == Errc::invalid);
    CHECK(r.error().message().find("peerstore-share whoami") != std::string::npos);
  }
}

}  // namespace
}  // namespace peerstore
