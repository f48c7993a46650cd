#include "dht/head_set.h"

#include <sodium.h>

#include <algorithm>

namespace peerstore {

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
