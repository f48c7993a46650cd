// Fuzz target: a list of encoded heads as it comes from disk (LmdbStore's heads record,
// decode_head_list) and from the network (a heads message's list), folded into a HeadSet the
// way a storage node does: checked heads with add(), a node's own records with add_trusted().
// Checks that the set keeps only heads that no other head in it dominates, in canonical order.
#include "dht/head_set.h"
#include "fuzz_support.h"
#include "store/head_list_codec.h"

using namespace peerstore;

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  auto heads = real_heads();
  std::vector<Bytes> all;
  for (auto& h : heads) all.push_back(h.encode());
  seeds.add("one-head", encode_head_list({all[0]}));
  seeds.add("ancestor-and-descendant", encode_head_list({all[0], all[1]}));
  seeds.add("siblings", encode_head_list({all[1], all[2]}));
  seeds.add("all", encode_head_list(all));
  seeds.add("empty", encode_head_list({}));
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto list = decode_head_list(ByteView(data, size));
  if (!list) {
    fuzz::check(list.code() == Errc::corrupt, "a head list error other than corrupt");
    return 0;
  }
  fuzz::check(decode_head_list(encode_head_list(*list)).ok(), "a re-encoded head list fails");

  const VolumeId& volume = fuzz::fixed_volume().id();
  HeadSet checked(volume), trusted(volume);
  for (auto& b : *list)
    if (auto h = HeadSet::check(volume, b)) checked.add(*h);
  trusted.add_trusted(*list);
  for (HeadSet* set : {&checked, &trusted}) {
    fuzz::check(set->size() <= list->size(), "a head set larger than its input");
    auto enc = set->encoded();
    std::vector<Head> heads;
    for (size_t i = 0; i < enc.size(); ++i) {
      auto h = Head::decode(enc[i]);
      fuzz::check(h.ok() && h->volume == volume, "a head set holds a head it cannot decode");
      if (i > 0) fuzz::check(heads.back().hash() < h->hash(), "a head set out of order");
      heads.push_back(*h);
    }
    for (auto& a : heads)
      for (auto& b : heads)
        fuzz::check(&a == &b || compare_clocks(a, b) != ClockOrder::before,
                    "a head set keeps a dominated head");
  }
  return 0;
}
