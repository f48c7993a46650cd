#include "support/network_like_store.h"

namespace peerstore::test {

Result<std::vector<Bytes>> NetworkLikeStore::heads(const VolumeId& v) {
  std::vector<Bytes> out;
  for (auto& h : heads_[v]) out.push_back(h.encode());
  for (auto& b : undecodable_[v]) out.push_back(b);
  return out;
}

Status NetworkLikeStore::write(const WriteBatch& batch) {
  WriteBatch blocks = batch;
  blocks.heads.clear();
  PS_TRY(blocks_.write(blocks));
  for (auto& [v, encoded] : batch.heads)
    for (auto& e : encoded) {
      auto decoded = Head::decode(e);
      if (!decoded) {  // kept as bytes: what a lying node could serve
        undecodable_[v].push_back(e);
        continue;
      }
      Head h = std::move(*decoded);
      auto& set = heads_[v];
      bool dominated = false;
      for (auto& o : set) {
        auto ord = compare_clocks(h, o);
        if (ord == ClockOrder::before || (ord == ClockOrder::equal && o.hash() == h.hash()))
          dominated = true;
      }
      if (dominated) continue;
      std::erase_if(set, [&](const Head& o) { return compare_clocks(o, h) == ClockOrder::before; });
      set.push_back(h);
    }
  return {};
}

}  // namespace peerstore::test
