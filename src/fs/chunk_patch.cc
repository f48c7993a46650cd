#include "fs/chunk_patch.h"

#include <algorithm>
#include <cstring>

namespace peerstore {

ChunkPatch::ChunkPatch(const ChunkPatch& other) : count_(other.count_) {
  for (size_t i = 0; i < kSegments; ++i) {
    if (!other.seg_[i]) continue;
    seg_[i] = std::make_unique_for_overwrite<uint8_t[]>(kSegment);
    std::memcpy(seg_[i].get(), other.seg_[i].get(), kSegment);
  }
}

Result<size_t> ChunkPatch::write(BlockIo& io, const std::optional<BlockPtr>& old, size_t valid,
                                 size_t lo, ByteView data) {
  size_t hi = lo + data.size();
  if (hi > kChunk || hi < lo) return fail(Errc::invalid, "a patch past its chunk");
  size_t added = 0;
  for (size_t s = lo / kSegment; s * kSegment < hi; ++s) {
    size_t seg_lo = s * kSegment, seg_hi = seg_lo + kSegment;
    size_t w_lo = std::max(lo, seg_lo), w_hi = std::min(hi, seg_hi);
    if (!seg_[s]) {
      auto fresh = std::make_unique_for_overwrite<uint8_t[]>(kSegment);
      if (w_lo > seg_lo || w_hi < seg_hi) {
        // Written in part: the rest of the segment is what the chunk held (one segment read).
        std::memset(fresh.get(), 0, kSegment);
        size_t end = std::min(seg_hi, valid);
        if (old && seg_lo < end) {
          size_t copied = 0;
          PS_TRY(io.read_range(*old, seg_lo, end, fresh.get(), &copied));
        }
      }
      seg_[s] = std::move(fresh);
      ++count_;
      ++added;
    }
    std::memcpy(seg_[s].get() + (w_lo - seg_lo), data.data() + (w_lo - lo), w_hi - w_lo);
  }
  return added;
}

std::vector<std::pair<size_t, size_t>> ChunkPatch::copy_held(size_t lo, size_t hi,
                                                             uint8_t* out) const {
  std::vector<std::pair<size_t, size_t>> missing;
  for (size_t s = lo / kSegment; s * kSegment < hi && s < kSegments; ++s) {
    size_t a = std::max(lo, s * kSegment), b = std::min(hi, (s + 1) * kSegment);
    if (seg_[s]) {
      std::memcpy(out + (a - lo), seg_[s].get() + (a - s * kSegment), b - a);
    } else if (!missing.empty() && missing.back().second == a) {
      missing.back().second = b;
    } else {
      missing.emplace_back(a, b);
    }
  }
  return missing;
}

Result<std::shared_ptr<Bytes>> ChunkPatch::materialize(BlockIo& io,
                                                       const std::optional<BlockPtr>& old,
                                                       size_t valid) const {
  auto buf = std::make_shared<Bytes>(kChunk, 0);
  if (old && valid > 0 && !full()) {
    PS_ASSIGN(Bytes bytes, io.read(*old));
    std::memcpy(buf->data(), bytes.data(), std::min({bytes.size(), valid, kChunk}));
  }
  for (size_t s = 0; s < kSegments; ++s)
    if (seg_[s]) std::memcpy(buf->data() + s * kSegment, seg_[s].get(), kSegment);
  return buf;
}

std::shared_ptr<Bytes> ChunkPatch::take_whole() const {
  auto buf = std::make_shared<Bytes>(kChunk);
  for (size_t s = 0; s < kSegments; ++s)
    if (seg_[s]) std::memcpy(buf->data() + s * kSegment, seg_[s].get(), kSegment);
  return buf;
}

}  // namespace peerstore
