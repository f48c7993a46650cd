// Grant: a share's keys sealed to one user under an envelope signed by the grantor. Only the
// recipient opens it; a changed byte, a grant re-signed by someone else, or content moved to
// another envelope is refused; a withdrawal opens to not_found; the decoders cap what they
// read; the slot is the same on each of the grantor's computers and tells nothing else.
#include "keys/grant.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <algorithm>

#include "../common/must.h"
#include "common/msgpack_codec.h"
#include "key_samples.h"

namespace peerstore {
namespace {

using test::must;

using test::secret_of;
using test::user_with_seed;

GrantContent sample(const SigningKey& grantor, const SigningKey& recipient, bool write) {
  SigningKey volume = user_with_seed(0x51);
  GrantContent c;
  c.volume = volume.public_key();
  c.read_key = secret_of(0x52);
  c.convergence = secret_of(0x53);
  if (write) c.signing_seed = volume.seed().clone();
  c.folder = "Photos 2026";
  c.grantor = grantor.public_key();
  c.recipient = recipient.public_key();
  c.lineage = volume.public_key();
  c.epoch = 3;
  c.time_ns = 1'765'000'000'000'000'000;
  return c;
}

TEST_CASE("grant: the recipient opens what the grantor sealed, and nobody else") {
  SigningKey alice = user_with_seed(1), bob = user_with_seed(2), eve = user_with_seed(3);
  for (bool write : {false, true}) {
    INFO("write " << write);
    GrantContent c = sample(alice, bob, write);
    Grant g = must(Grant::make(alice, c));
    CHECK(g.verify());
    CHECK(g.recipient == bob.public_key());
    CHECK(g.grantor == alice.public_key());
    CHECK(g.epoch == 3);
    CHECK_FALSE(g.withdrawn());

    Grant back = must(Grant::decode(g.encode()));
    CHECK(back.encode() == g.encode());
    GrantContent got = must(back.open(bob));
    CHECK(got.volume == c.volume);
    CHECK(got.read_key == c.read_key);
    CHECK(got.convergence == c.convergence);
    CHECK(got.writable() == write);
    CHECK(got.folder == c.folder);
    CHECK(got.lineage == c.lineage);
    CHECK(got.epoch == c.epoch);
    CHECK(got.time_ns == c.time_ns);
    if (write) {
      VolumeKeys keys = must(got.writer_keys());
      CHECK(keys.id() == c.volume);
    } else {
      CHECK(got.writer_keys().code() == Errc::permission);
    }
    // Eve holds the bytes, not the key; pretending to be Bob does not change the envelope.
    CHECK(g.open(eve).code() == Errc::invalid);
    Grant to_eve = g;
    to_eve.recipient = eve.public_key();
    CHECK(to_eve.open(eve).code() == Errc::corrupt);  // the signature covers the recipient
  }
  // The sealed bytes hold no key in the clear.
  GrantContent c = sample(alice, bob, true);
  Bytes enc = must(Grant::make(alice, c)).encode();
  auto has = [&](const Secret& s) {
    return std::search(enc.begin(), enc.end(), s.data(), s.data() + s.size()) != enc.end();
  };
  CHECK_FALSE(has(c.read_key));
  CHECK_FALSE(has(c.convergence));
  CHECK_FALSE(has(*c.signing_seed));
}

TEST_CASE("grant: any changed byte is refused, never opened as something else") {
  SigningKey alice = user_with_seed(1), bob = user_with_seed(2);
  Bytes enc = must(Grant::make(alice, sample(alice, bob, true))).encode();
  size_t opened = 0;
  for (size_t i = 0; i < enc.size(); ++i) {
    Bytes bad = enc;
    bad[i] ^= 0x01;
    auto g = Grant::decode(bad);
    if (!g) {
      CHECK(g.code() == Errc::corrupt);
      continue;
    }
    auto c = g->open(bob);
    if (c) ++opened;
    CHECK((c.code() == Errc::corrupt || c.code() == Errc::invalid));
  }
  CHECK(opened == 0);
  // Cut short anywhere, or with bytes after it.
  for (size_t n = 0; n < enc.size(); ++n)
    CHECK(Grant::decode(ByteView(enc.data(), n)).code() == Errc::corrupt);
  Bytes longer = enc;
  longer.push_back(0);
  CHECK(Grant::decode(longer).code() == Errc::corrupt);
}

TEST_CASE("grant: another user cannot pass a grant off as theirs or move it in time") {
  SigningKey alice = user_with_seed(1), bob = user_with_seed(2), mallory = user_with_seed(4);
  Grant g = must(Grant::make(alice, sample(alice, bob, true)));
  // Mallory re-signs Alice's sealed content as the grantor.
  Grant stolen = g;
  stolen.grantor = mallory.public_key();
  stolen.signature = mallory.sign(stolen.signed_part());
  CHECK(stolen.verify());
  CHECK(stolen.open(bob).code() == Errc::corrupt);
  // Alice's own content under an envelope with another time or epoch: the signature no longer
  // holds, and re-signed by Mallory it still names Alice inside.
  Grant later = g;
  later.time_ns += 1;
  CHECK(later.open(bob).code() == Errc::corrupt);
  later.epoch += 1;
  later.grantor = mallory.public_key();
  later.signature = mallory.sign(later.signed_part());
  CHECK(later.open(bob).code() == Errc::corrupt);
}

TEST_CASE("grant: a withdrawal occupies the same slot and opens to not_found") {
  SigningKey alice = user_with_seed(1), bob = user_with_seed(2), carol = user_with_seed(5);
  GrantContent c = sample(alice, bob, false);
  Grant g = must(Grant::make(alice, c));
  Grant w = Grant::withdraw(alice, bob.public_key(), c.lineage, c.epoch + 1, c.time_ns + 1);
  CHECK(w.withdrawn());
  CHECK(w.verify());
  CHECK(w.slot == g.slot);
  CHECK(must(Grant::decode(w.encode())).withdrawn());
  CHECK(w.open(bob).code() == Errc::not_found);
  // The slot: the same for the same grantor, lineage and recipient (a second computer of Alice
  // has the same user key); different for anything else.
  SigningKey alice_again = user_with_seed(1);
  CHECK(Grant::slot_for(alice_again, c.lineage, bob.public_key()) == g.slot);
  CHECK(Grant::slot_for(alice, c.lineage, carol.public_key()) != g.slot);
  CHECK(Grant::slot_for(carol, c.lineage, bob.public_key()) != g.slot);
  Id256 other_lineage = c.lineage;
  other_lineage.b[0] ^= 1;
  CHECK(Grant::slot_for(alice, other_lineage, bob.public_key()) != g.slot);
}

TEST_CASE("grant: mistakes in what is granted are refused with a message") {
  SigningKey alice = user_with_seed(1), bob = user_with_seed(2);
  GrantContent c = sample(alice, bob, false);
  for (const std::string& name : std::vector<std::string>{
           "", ".", "..", "a/b", std::string("a\0b", 3), std::string(256, 'x')}) {
    c.folder = name;
    auto g = Grant::make(alice, c);
    CHECK(g.code() == Errc::invalid);
  }
  c.folder = std::string(255, 'x');
  CHECK(Grant::make(alice, c).ok());
  c.folder = "ok";
  c.grantor = bob.public_key();  // content that names another grantor
  CHECK(Grant::make(alice, c).code() == Errc::invalid);
  c.grantor = alice.public_key();
  c.recipient.b.fill(0);  // no user's key
  CHECK(Grant::make(alice, c).code() == Errc::invalid);
}

TEST_CASE("grant: the content decoder refuses what is not a grant's content") {
  SigningKey alice = user_with_seed(1), bob = user_with_seed(2);
  GrantContent c = sample(alice, bob, true);
  Bytes enc = c.encode();
  GrantContent back = must(GrantContent::decode(enc));
  CHECK(back.folder == c.folder);
  CHECK(back.signing_seed.has_value());
  for (size_t n = 0; n < enc.size(); ++n)
    CHECK(GrantContent::decode(ByteView(enc.data(), n)).code() == Errc::corrupt);
  // A key of the wrong size, a folder name with a slash, another version.
  auto with = [&](auto&& fill) {
    mp::Buffer buf;
    mp::Packer pk(buf);
    fill(pk);
    return mp::to_bytes(buf);
  };
  auto content = [&](uint32_t version, size_t key_size, const std::string& folder) {
    return with([&](mp::Packer& pk) {
      pk.pack_array(11);
      pk.pack(version);
      mp::pack_bin(pk, c.volume.view());
      mp::pack_bin(pk, Bytes(key_size, 7));
      mp::pack_bin(pk, Bytes(32, 8));
      pk.pack_nil();
      pk.pack(folder);
      mp::pack_bin(pk, c.grantor.view());
      mp::pack_bin(pk, c.recipient.view());
      mp::pack_bin(pk, c.lineage.view());
      pk.pack(uint64_t(1));
      pk.pack(int64_t(2));
    });
  };
  CHECK(GrantContent::decode(content(1, 32, "fine")).ok());
  CHECK(GrantContent::decode(content(1, 31, "fine")).code() == Errc::corrupt);
  CHECK(GrantContent::decode(content(1, 32, "a/b")).code() == Errc::corrupt);
  CHECK(GrantContent::decode(content(2, 32, "fine")).code() == Errc::corrupt);
  CHECK(GrantContent::decode(Bytes(600, 0x91)).code() == Errc::corrupt);
  CHECK(Grant::decode(Bytes(Grant::kMaxEncoded + 1, 0x91)).code() == Errc::corrupt);
}

}  // namespace
}  // namespace peerstore
