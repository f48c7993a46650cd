#include "dht/head_set.h"

#include <algorithm>

#include "dht/record_set.h"

namespace peerstore {

Id256 HeadSet::key_for(const VolumeId& volume) {
  return record_set::key("head", volume);
}

Result<Head> HeadSet::check(const VolumeId& volume, ByteView encoded) {
  PS_ASSIGN(Head h, Head::decode(encoded));
  if (h.volume != volume) return fail(Errc::corrupt, "head of another volume");
  if (!h.verify()) return fail(Errc::corrupt, "head signature does not verify");
  return h;
}

bool HeadSet::add(const Head& head) {
  Id256 hash = head.hash();
  for (auto& it : items_) {
    if (it.hash == hash) return false;
    auto o = compare_clocks(head, it.head);
    if (o == ClockOrder::before) return false;  // dominated by a head we keep
  }
  std::erase_if(
      items_, [&](const Item& it) { return compare_clocks(it.head, head) == ClockOrder::before; });
  Item item{hash, head, head.encode()};
  auto pos = std::lower_bound(items_.begin(), items_.end(), hash,
                              [](const Item& a, const Id256& h) { return a.hash < h; });
  items_.insert(pos, std::move(item));
  return true;
}

void HeadSet::add_trusted(const std::vector<Bytes>& encoded) {
  for (auto& b : encoded) {
    auto h = Head::decode(b);
    if (h && h->volume == volume_) add(*h);
  }
}

std::vector<Bytes> HeadSet::encoded() const {
  return record_set::encoded(items_);
}

Id256 HeadSet::digest() const {
  return record_set::digest(items_);
}

}  // namespace peerstore
