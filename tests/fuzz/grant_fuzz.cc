// Fuzz target: a grant as a storage node receives it for an inbox (Grant::decode,
// InboxSet::check and add) and as a recipient opens it (Grant::open), and the sealed content's
// decoder (GrantContent::decode) and the revoke journal's (RevokeJournal::decode, a hidden
// record of the home root) on the same bytes. A grant that decodes must encode to bytes
// that decode to the same grant; nothing but the grantor's signed bytes may open.
#include "dht/inbox_set.h"
#include "fuzz_support.h"
#include "keys/revoke_journal.h"

using namespace peerstore;

namespace {

const SigningKey& key_of(uint8_t fill) {
  static SigningKey keys[2] = {SigningKey::from_seed(fuzz::fixed_secret(0x61)),
                               SigningKey::from_seed(fuzz::fixed_secret(0x62))};
  return keys[fill & 1];
}
const SigningKey& grantor() {
  return key_of(0);
}
const SigningKey& recipient() {
  return key_of(1);
}

GrantContent sample(bool write) {
  GrantContent c;
  c.volume = fuzz::fixed_volume().id();
  c.read_key = fuzz::fixed_secret(0x63);
  c.convergence = fuzz::fixed_secret(0x64);
  if (write) c.signing_seed = fuzz::fixed_volume().signer->seed().clone();
  c.folder = "shared";
  c.grantor = grantor().public_key();
  c.recipient = recipient().public_key();
  c.lineage = c.volume;
  c.epoch = 2;
  c.time_ns = 1'765'000'000'000'000'000;
  return c;
}

}  // namespace

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  seeds.add("read", Grant::make(grantor(), sample(false))->encode());
  seeds.add("write", Grant::make(grantor(), sample(true))->encode());
  seeds.add(
      "withdrawn",
      Grant::withdraw(grantor(), recipient().public_key(), fixed_volume().id(), 3, 5).encode());
  seeds.add("content", sample(true).encode());
  RevokeJournal j;
  j.stage = RevokeJournal::grants;
  j.device = grantor().public_key();
  j.revoked = recipient().public_key();
  j.old_link = 12345;
  j.nonce = fixed_volume().id();
  seeds.add("revoke-journal", j.encode());
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteView in(data, size);
  if (auto j = RevokeJournal::decode(in)) {
    fuzz::check(j->encode() == Bytes(in.begin(), in.end()),
                "a revoke journal does not survive its own encoding");
    uint64_t ino = j->new_link();
    fuzz::check(ino > 1 && ino >> 63 == 0, "a new link number out of range");
  } else {
    fuzz::check(j.code() == Errc::corrupt, "a revoke journal error other than corrupt");
  }
  if (auto c = GrantContent::decode(in)) {
    auto again = GrantContent::decode(c->encode());
    fuzz::check(again.ok() && again->folder == c->folder && again->epoch == c->epoch,
                "grant content does not survive its own encoding");
  }
  auto g = Grant::decode(in);
  if (!g) {
    fuzz::check(g.code() == Errc::corrupt, "a grant decode error other than corrupt");
    return 0;
  }
  Bytes enc = g->encode();
  auto back = Grant::decode(enc);
  fuzz::check(back.ok() && back->encode() == enc, "a grant does not survive its own encoding");
  auto checked = InboxSet::check(recipient().public_key(), in);
  fuzz::check(checked.ok() == (g->recipient == recipient().public_key() && g->verify()),
              "the inbox took a grant that does not verify, or refused one that does");
  if (checked) {
    InboxSet set(recipient().public_key());
    set.add(*Grant::make(grantor(), sample(false)));
    set.add(*checked);
    fuzz::check(set.size() >= 1 && set.size() <= 2, "an inbox of the wrong size");
  }
  auto opened = g->open(recipient());
  if (opened) {
    // Only the seeds' own grants verify: their content is what was sealed.
    fuzz::check(opened->grantor == g->grantor && opened->epoch == g->epoch,
                "a grant opened to content that does not match its envelope");
  }
  return 0;
}
