// Fuzz target: ClaimSet::decode_claim, one claim on a block as replicas exchange it (a record
// of KeyKind::claims) and keep it beside the block. A claim that decodes re-encodes to the same
// bytes; its cancel proves itself; merging it into a set twice changes the set once, and a set
// rebuilt from its own records is the same set.
#include "dht/claim_set.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  ClaimSet set;
  Id256 a, b;
  a.b.fill(1);
  b.b.fill(2);
  set.add(claim_tag(a), 3, 1000);
  set.add(claim_tag(b), 0, 2000);
  set.cancel(b, 3000);
  auto records = set.encoded();
  seeds.add("claim", records.at(0));
  seeds.add("cancel", records.at(1));
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto claim = ClaimSet::decode_claim(ByteView(data, size));
  if (!claim) {
    fuzz::check(claim.code() == Errc::corrupt, "a claim error other than corrupt");
    return 0;
  }
  if (claim->cancelled())
    fuzz::check(claim_tag(*claim->secret) == claim->tag, "a cancel that is not its own");
  Bytes once = ClaimSet::encode_claim(*claim);
  auto again = ClaimSet::decode_claim(once);
  fuzz::check(again.ok() && *again == *claim, "a claim does not re-encode");
  ClaimSet set;
  fuzz::check(set.merge(*claim, 1), "a first claim changed nothing");
  fuzz::check(!set.merge(*claim, 2), "the same claim twice changed the set");
  ClaimSet copy;
  copy.add_trusted(set.encoded());
  fuzz::check(copy.digest() == set.digest(), "a set rebuilt from its records differs");
  (void)set.releasable(0, 0);
  return 0;
}
