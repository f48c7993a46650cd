#include "dht/head_set.h"

#include <sodium.h>

#include <algorithm>

namespace peerstore {

ClockOrder compare_clocks(const Head& a, const Head& b) {
  bool a_less = false, b_less = false;  // some device where a < b, where b < a
  size_t i = 0, j = 0;
  while (i < a.clock.size() || j < b.clock.size()) {
    uint64_t x = 0, y = 0;
    if (j >= b.clock.size() || (i < a.clock.size() && a.clock[i].first < b.clock[j].first)) {
      x = a.clock[i++].second;
    } else if (i >= a.clock.size() || b.clock[j].first < a.clock[i].first) {
      y = b.clock[j++].second;
    } else {
      x = a.clock[i++].second;
      y = b.clock[j++].second;
    }
    if (x < y) a_less = true;
    if (y < x) b_less = true;
  }
  if (a_less && b_less) return ClockOrder::concurrent;
  if (a_less) return ClockOrder::before;
  if (b_less) return ClockOrder::after;
  return ClockOrder::equal;
}

Id256 HeadSet::key_for(const VolumeId& volume) {
  Id256 k;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, k.b.size());
  crypto_generichash_update(&st, reinterpret_cast<const uint8_t*>("head"), 4);
  crypto_generichash_update(&st, volume.b.data(), volume.b.size());
  crypto_generichash_final(&st, k.b.data(), k.b.size());
  return k;
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
  std::vector<Bytes> out;
  out.reserve(items_.size());
  for (auto& it : items_) out.push_back(it.bytes);
  return out;
}

Id256 HeadSet::digest() const {
  Id256 d;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, d.b.size());
  for (auto& it : items_) crypto_generichash_update(&st, it.hash.b.data(), it.hash.b.size());
  crypto_generichash_final(&st, d.b.data(), d.b.size());
  return d;
}

}  // namespace peerstore
