// SigningKey: Ed25519 from a 32-byte seed. Heads, grants and node ids all rest on it, so the
// test pins libsodium's behaviour to RFC 8032's first test vector and checks that verification
// rejects every kind of tampering.
#include <doctest/doctest.h>

#include "keys/signing_key.h"

namespace peerstore {
namespace {

Secret seed_from_hex(std::string_view hex) {
  auto b = from_hex(hex);
  REQUIRE(b.ok());
  return Secret(*b);
}

TEST_CASE("RFC 8032 test 1: seed -> public key -> signature of the empty message") {
  SigningKey k = SigningKey::from_seed(
      seed_from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  CHECK(k.public_key().hex() == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  Signature sig = k.sign(ByteView());
  CHECK(to_hex(sig) ==
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
  CHECK(verify_signature(k.public_key(), ByteView(), sig));
}

TEST_CASE("from_seed is deterministic and keeps the seed") {
  Secret seed = seed_from_hex("0102030405060708091011121314151617181920212223242526272829303132");
  SigningKey a = SigningKey::from_seed(seed);
  SigningKey b = SigningKey::from_seed(seed);
  CHECK(a.public_key() == b.public_key());
  CHECK(a.seed() == seed);
  Bytes msg = to_bytes("same message");
  CHECK(a.sign(msg) == b.sign(msg));  // Ed25519 signatures are deterministic
}

TEST_CASE("generate gives distinct keys") {
  SigningKey a = SigningKey::generate();
  SigningKey b = SigningKey::generate();
  CHECK(a.public_key() != b.public_key());
  CHECK_FALSE(a.seed() == b.seed());
  CHECK(a.seed().size() == SigningKey::kSeedSize);
}

TEST_CASE("verify rejects tampered messages, signatures and keys") {
  SigningKey k = SigningKey::generate();
  Bytes msg = to_bytes("head of volume 1, version 7");
  Signature sig = k.sign(msg);
  CHECK(verify_signature(k.public_key(), msg, sig));

  for (size_t i = 0; i < msg.size(); ++i) {
    Bytes bad = msg;
    bad[i] ^= 0x20;
    CHECK_FALSE(verify_signature(k.public_key(), bad, sig));
  }
  Bytes longer = msg;
  longer.push_back('!');
  CHECK_FALSE(verify_signature(k.public_key(), longer, sig));

  for (size_t i = 0; i < sig.size(); ++i) {
    Signature bad = sig;
    bad[i] ^= 0x01;
    CHECK_FALSE(verify_signature(k.public_key(), msg, bad));
  }
  CHECK_FALSE(verify_signature(k.public_key(), msg, ByteView(sig.data(), 63)));
  CHECK_FALSE(verify_signature(k.public_key(), msg, ByteView()));

  SigningKey other = SigningKey::generate();
  CHECK_FALSE(verify_signature(other.public_key(), msg, sig));
}

}  // namespace
}  // namespace peerstore
