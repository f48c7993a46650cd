#include "fs/chunk_tree.h"

#include "fs/ptr_codec.h"

namespace peerstore {
namespace {

constexpr uint64_t kFanout = uint64_t(1) << ChunkTree::kFanoutBits;

}  // namespace

Status ChunkTree::load(const std::optional<BlockPtr>& root, uint32_t depth) {
  slots_.clear();
  clean_.clear();
  depth_ = depth;
  if (!root) return {};
  if (depth > kMaxDepth) return fail(Errc::corrupt, "chunk tree too deep");
  if (depth == 0) {
    slots_[0].ptr = *root;
    return {};
  }
  return load_node(*root, int(depth), 0);
}

Result<std::vector<std::optional<BlockPtr>>> ChunkTree::read_node(BlockIo& io, const BlockPtr& p,
                                                                  int level) {
  PS_ASSIGN(Bytes plain, io.read(p));
  const mp::Limits lim{
      .array = kFanout, .map = 0, .str = 0, .bin = BlockPtr::kMaxEncodedSize, .depth = 2};
  PS_ASSIGN(auto oh, mp::unpack(plain, lim));
  PS_ASSIGN(auto top, mp::get_array(oh.get(), 2, 2));
  PS_ASSIGN(auto lv, mp::get_u64(top[0]));
  if (lv != uint64_t(level)) return fail(Errc::corrupt, "chunk tree node at the wrong level");
  PS_ASSIGN(auto kids, mp::get_array(top[1], 0, kFanout));
  std::vector<std::optional<BlockPtr>> out(kids.size());
  for (size_t i = 0; i < kids.size(); ++i) {
    PS_ASSIGN(out[i], get_ptr(kids[i]));
  }
  return out;
}

Status ChunkTree::load_node(const BlockPtr& p, int level, uint64_t index) {
  PS_ASSIGN(auto kids, read_node(io_, p, level));
  for (size_t i = 0; i < kids.size(); ++i) {
    if (!kids[i]) continue;
    uint64_t ci = index * kFanout + i;
    if (level == 1)
      slots_[ci].ptr = *kids[i];
    else
      PS_TRY(load_node(*kids[i], level - 1, ci));
  }
  clean_[{level, index}] = p;
  return {};
}

Status ChunkTree::walk_node(BlockIo& io, const BlockPtr& p, int level,
                            const std::function<bool(const BlockPtr& node)>& enter,
                            const std::function<void(const BlockPtr& chunk)>& chunk) {
  PS_ASSIGN(auto kids, read_node(io, p, level));
  for (auto& kid : kids) {
    if (!kid) continue;
    if (level == 1)
      chunk(*kid);
    else if (enter(*kid))
      PS_TRY(walk_node(io, *kid, level - 1, enter, chunk));
  }
  return {};
}

Status ChunkTree::walk(BlockIo& io, const std::optional<BlockPtr>& root, uint32_t depth,
                       const std::function<bool(const BlockPtr& node)>& enter,
                       const std::function<void(const BlockPtr& chunk)>& chunk) {
  if (!root) return {};
  if (depth > kMaxDepth) return fail(Errc::corrupt, "chunk tree too deep");
  if (depth == 0) {
    chunk(*root);
    return {};
  }
  if (!enter(*root)) return {};
  return walk_node(io, *root, int(depth), enter, chunk);
}

const ChunkTree::Slot* ChunkTree::find(uint64_t idx) const {
  auto it = slots_.find(idx);
  return it == slots_.end() ? nullptr : &it->second;
}

void ChunkTree::invalidate(uint64_t idx) {
  for (uint32_t l = 1; l <= depth_; ++l) clean_.erase({int(l), idx >> (kFanoutBits * l)});
}

ChunkTree::Slot& ChunkTree::at(uint64_t idx) {
  invalidate(idx);
  return slots_[idx];
}

void ChunkTree::erase_from(uint64_t idx) {
  for (auto it = slots_.lower_bound(idx); it != slots_.end();) {
    invalidate(it->first);
    it = slots_.erase(it);
  }
}

bool ChunkTree::any_in(uint64_t first, uint64_t last) const {
  auto it = slots_.lower_bound(first);
  return it != slots_.end() && it->first <= last;
}

Result<std::optional<BlockPtr>> ChunkTree::build(int level, uint64_t index) {
  if (auto it = clean_.find({level, index}); it != clean_.end())
    return std::optional<BlockPtr>(it->second);
  std::vector<std::optional<BlockPtr>> kids(kFanout);
  size_t used = 0;
  uint64_t base = index * kFanout;
  if (level == 1) {
    for (auto it = slots_.lower_bound(base); it != slots_.end() && it->first < base + kFanout;
         ++it) {
      kids[it->first - base] = it->second.ptr;
      used = it->first - base + 1;
    }
  } else {
    uint64_t span = uint64_t(1) << (kFanoutBits * (level - 1));
    for (uint64_t i = 0; i < kFanout; ++i) {
      uint64_t first = (base + i) * span;
      if (!any_in(first, first + span - 1)) continue;
      PS_ASSIGN(kids[i], build(level - 1, base + i));
      used = i + 1;
    }
  }
  if (used == 0) return std::optional<BlockPtr>();
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(2);
  pk.pack(uint32_t(level));
  pk.pack_array(uint32_t(used));
  for (size_t i = 0; i < used; ++i) pack_ptr(pk, kids[i]);
  PS_ASSIGN(BlockPtr p, io_.write(mp::view(buf)));
  clean_[{level, index}] = p;
  return std::optional<BlockPtr>(p);
}

Result<std::pair<std::optional<BlockPtr>, uint32_t>> ChunkTree::flush(uint64_t file_size) {
  using Out = std::pair<std::optional<BlockPtr>, uint32_t>;
  for (auto& [idx, s] : slots_) {
    if (!s.dirty()) continue;
    uint64_t start = idx * kChunkSize;
    size_t len = start >= file_size ? 0 : size_t(std::min<uint64_t>(kChunkSize, file_size - start));
    if (s.patch) {
      PS_ASSIGN(s.buf, s.patch->materialize(io_, s.ptr, len));
    }
    PS_ASSIGN(s.ptr, io_.write(ByteView(s.buf->data(), len)));
    s.buf.reset();
    s.patch.reset();
  }
  if (slots_.empty()) {
    clean_.clear();
    depth_ = 0;
    return Out{std::nullopt, 0};
  }
  uint64_t max_idx = slots_.rbegin()->first;
  uint32_t depth = 0;
  while (depth <= kMaxDepth && (max_idx >> (kFanoutBits * depth)) != 0) ++depth;
  if (depth > kMaxDepth) return fail(Errc::too_big, "file too large");
  if (depth != depth_) {
    clean_.clear();
    depth_ = depth;
  }
  if (depth == 0) return Out{slots_.begin()->second.ptr, 0};
  PS_ASSIGN(auto root, build(int(depth), 0));
  return Out{root, depth};
}

}  // namespace peerstore
