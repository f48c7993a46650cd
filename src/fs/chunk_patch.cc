#include "fs/chunk_patch.h"

#include <algorithm>
#include <cstring>

namespace peerstore {

Result<size_t> ChunkPatch::write(BlockIo& io, const std::optional<BlockPtr>& old, size_t valid,
                                 size_t lo, ByteView data) {
  size_t hi = lo + data.size();
  if (hi > kChunk || hi < lo) return fail(Errc::invalid, "a patch past its chunk");
  size_t added = 0;
  for (size_t s = lo / kSegment; s * kSegment < hi; ++s) {
    size_t seg_lo = s * kSegment, seg_hi = seg_lo + kSegment;
    size_t w_lo = std::max(lo, seg_lo), w_hi = std::min(hi, seg_hi);
    if (!seg_[s]) {
      auto fresh = std::make_shared_for_overwrite<Segment>();
      if (w_lo > seg_lo || w_hi < seg_hi) {
        // Written in part: the rest of the segment is what the chunk held (one segment read).
        fresh->fill(0);
        size_t end = std::min(seg_hi, valid);
        if (old && seg_lo < end) {
          size_t copied = 0;
          PS_TRY(io.read_range(*old, seg_lo, end, fresh->data(), &copied));
        }
      }
      seg_[s] = std::move(fresh);
      ++count_;
      ++added;
    } else if (seg_[s].use_count() > 1) {
      seg_[s] = std::make_shared<Segment>(*seg_[s]);  // another copy of the patch reads it
    }
    std::memcpy(seg_[s]->data() + (w_lo - seg_lo), data.data() + (w_lo - lo), w_hi - w_lo);
  }
  return added;
}

std::vector<std::pair<size_t, size_t>> ChunkPatch::copy_held(size_t lo, size_t hi,
                                                             uint8_t* out) const {
  std::vector<std::pair<size_t, size_t>> missing;
  for (size_t s = lo / kSegment; s * kSegment < hi && s < kSegments; ++s) {
    size_t a = std::max(lo, s * kSegment), b = std::min(hi, (s + 1) * kSegment);
    if (seg_[s]) {
      std::memcpy(out + (a - lo), seg_[s]->data() + (a - s * kSegment), b - a);
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
  for (auto [a, b] : copy_held(0, kChunk, buf->data())) {
    size_t end = std::min(b, valid), copied = 0;
    if (old && a < end) PS_TRY(io.read_range(*old, a, end, buf->data() + a, &copied));
  }
  return buf;
}

std::shared_ptr<Bytes> ChunkPatch::take_whole() const {
  auto buf = std::make_shared<Bytes>(kChunk);
  copy_held(0, kChunk, buf->data());
  return buf;
}

}  // namespace peerstore
