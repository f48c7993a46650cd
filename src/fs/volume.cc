#include "fs/volume.h"

#include <chrono>

#include "common/log.h"
#include "fs/ptr_codec.h"

namespace peerstore {
namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Volume::Volume(LocalStore& store, VolumeKeys keys, const PublicKey& device)
    : store_(store), keys_(std::move(keys)), device_(device), io_(store, keys_.convergence) {}

Result<std::unique_ptr<Volume>> Volume::open(LocalStore& store, VolumeKeys keys,
                                             const PublicKey& device) {
  std::unique_ptr<Volume> v(new Volume(store, std::move(keys), device));
  PS_ASSIGN(auto encoded, store.heads(v->keys_.id()));
  for (auto& e : encoded) {
    auto h = Head::decode(e);
    if (!h || h->volume != v->keys_.id() || !h->verify()) {
      log::warn("ignoring a head of volume " + v->keys_.id().short_hex() + " that does not verify");
      continue;
    }
    if (!v->head_ || h->time_ns > v->head_->time_ns) v->head_ = std::move(*h);
  }
  if (!v->head_) {
    if (!encoded.empty()) return fail(Errc::corrupt, "no valid head for volume " + v->keys_.id().short_hex());
    return v;
  }
  PS_ASSIGN(BlockPtr root, v->head_->open_root(v->keys_.read_key));
  PS_ASSIGN(Bytes plain, v->io_.read(root));
  const mp::Limits lim{.array = 3, .map = 0, .str = 0, .bin = BlockPtr::kEncodedSize, .depth = 1};
  PS_ASSIGN(auto oh, mp::unpack(plain, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 3, 3));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != 1) return fail(Errc::corrupt, "root block of unknown version");
  PS_ASSIGN(v->table_root_, get_ptr(a[1]));
  return v;
}

Status Volume::commit(const std::optional<BlockPtr>& table_root) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(3);
  pk.pack(uint32_t(1));
  pack_ptr(pk, table_root);
  int64_t t = now_ns();
  pk.pack(t);
  PS_ASSIGN(BlockPtr root, io_.write(mp::view(buf)));

  std::vector<std::pair<Id256, uint64_t>> clock;
  std::vector<Id256> parents;
  if (head_) {
    clock = head_->clock;
    parents.push_back(head_->hash());
  }
  bool found = false;
  for (auto& [dev, n] : clock)
    if (dev == device_) {
      ++n;
      found = true;
    }
  if (!found) clock.emplace_back(device_, 1);
  if (head_ && t <= head_->time_ns) t = head_->time_ns + 1;  // keep heads ordered by time
  Head h = Head::make(keys_, root, std::move(clock), std::move(parents), device_, t);
  PS_TRY(io_.commit(keys_.id(), {h.encode()}));
  head_ = std::move(h);
  table_root_ = table_root;
  ++commits_;
  return {};
}

}  // namespace peerstore
