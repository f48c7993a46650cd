// Fuzz target: Head::decode, the signed head of a volume as the DHT and the local store hold it,
// and what a node does with one it receives: HeadSet::check (volume, signature) and opening the
// root pointer with the read key. A head that decodes must re-encode to bytes that decode to
// the same head.
#include "dht/head_set.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  auto heads = real_heads();
  for (size_t i = 0; i < heads.size(); ++i)
    seeds.add("head-" + std::to_string(i), heads[i].encode());
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const VolumeKeys& keys = fuzz::fixed_volume();
  ByteView in(data, size);
  auto h = Head::decode(in);
  auto checked = HeadSet::check(keys.id(), in);
  if (!h) {
    fuzz::check(h.code() == Errc::corrupt, "a head error other than corrupt");
    fuzz::check(!checked, "HeadSet::check accepts a head that does not decode");
    return 0;
  }
  Bytes once = h->encode();
  auto again = Head::decode(once);
  fuzz::check(again.ok(), "a decoded head re-encodes to bytes that do not decode");
  fuzz::check(again->encode() == once && again->hash() == h->hash(),
              "a re-encoded head decodes to another head");
  fuzz::check(compare_clocks(*h, *again) == ClockOrder::equal, "a head's clock is not its own");
  fuzz::check(again->verify() == h->verify(), "re-encoding changes whether a head verifies");
  if (checked) fuzz::check(h->verify() && h->volume == keys.id(), "check accepts a bad head");
  auto root = h->open_root(keys.read_key);
  fuzz::check(root || root.code() == Errc::corrupt, "a head root error other than corrupt");
  return 0;
}
