// Fuzz target: ClaimSet::decode, the claims on a block that replicas exchange in repair and keep
// beside the block. A set that decodes re-encodes to bytes that decode to the same set; merging
// it into itself or into a copy changes nothing; every cancel in it proves itself.
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
  seeds.add("two", set.encode());
  seeds.add("empty", ClaimSet().encode());
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto set = ClaimSet::decode(ByteView(data, size));
  if (!set) {
    fuzz::check(set.code() == Errc::corrupt, "a claims error other than corrupt");
    return 0;
  }
  fuzz::check(set->size() <= ClaimSet::kMaxClaims, "more claims than the cap");
  for (const Claim& c : set->claims())
    if (c.cancelled()) fuzz::check(claim_tag(*c.secret) == c.tag, "a cancel that is not its own");
  Bytes once = set->encode();
  auto again = ClaimSet::decode(once);
  fuzz::check(again.ok() && again->claims() == set->claims(), "claims do not re-encode");
  ClaimSet copy = *set;
  fuzz::check(!copy.merge(*set, 1), "merging a set into its copy changed it");
  fuzz::check(copy.digest() == set->digest(), "a merge into a copy changed the digest");
  (void)set->releasable(0, 0);
  return 0;
}
