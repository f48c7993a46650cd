// Claim secrets (keys/claim_secret.h): fixed bytes for fixed keys (a change of derivation would
// orphan every claim on the ring), every input changes the secret, two computers of a user
// derive the same, a read-only member derives none, and the tag is the secret's claim_tag.
#include "keys/claim_secret.h"

#include <doctest/doctest.h>

#include "support/filled_id.h"

namespace peerstore {
namespace {

using test::filled_id;

VolumeKeys volume(uint8_t seed_byte) {
  Secret seed(32);
  for (size_t i = 0; i < seed.size(); ++i) seed.data()[i] = seed_byte;
  return VolumeKeys{SigningKey::from_seed(seed), Secret(32), Secret(32)};
}

TEST_CASE("claim secrets: fixed bytes; every input counts; the tag is the secret's") {
  auto c = ClaimSecrets::of(volume(1));
  REQUIRE(c.ok());
  Id256 s = c->secret(filled_id(2), filled_id(3), 0);
  CHECK(s.hex() == "a71a2a408a1e9c7dbf190eb586f54ecacecaa14592eea4d84af18f2e45b1aecf");
  CHECK(claim_tag(filled_id(7)).hex() ==
        "4de9f5445cb606c4d87601f67e0597cc08531ecdd05917793250aed542a78dab");
  CHECK(c->tag(filled_id(2), filled_id(3), 0) == claim_tag(s));
  CHECK(c->secret(filled_id(2), filled_id(3), 0) == s);  // deterministic
  CHECK(c->secret(filled_id(4), filled_id(3), 0) != s);  // another device
  CHECK(c->secret(filled_id(2), filled_id(4), 0) != s);  // another block
  CHECK(c->secret(filled_id(2), filled_id(3), 1) != s);  // the next claim of the same block
  CHECK(c->secret(filled_id(2), filled_id(3), 1u << 24) !=
        c->secret(filled_id(2), filled_id(3), 1));
  auto other = ClaimSecrets::of(volume(9));
  REQUIRE(other.ok());
  CHECK(other->secret(filled_id(2), filled_id(3), 0) != s);  // another volume
  CHECK(ClaimSecrets::of(volume(1))->secret(filled_id(2), filled_id(3), 0) ==
        s);  // another computer
  CHECK(claim_tag(s) != s);
}

TEST_CASE("claim secrets: a read-only member has none") {
  VolumeKeys ro = VolumeKeys::read_only(filled_id(5), Secret(32), Secret(32));
  auto c = ClaimSecrets::of(ro);
  REQUIRE_FALSE(c.ok());
  CHECK(c.code() == Errc::permission);
}

}  // namespace
}  // namespace peerstore
