// ChunkPatch: the 4 KiB segments of a file chunk written since it was last sealed, kept over the
// chunk's sealed block instead of a whole plaintext copy of it. A random writer dirties a few
// segments of many chunks; with a patch, a 4 KiB write neither reads nor decrypts the old chunk
// (unless it covers a segment only in part, which reads that one segment), and the memory a
// commit is due at holds sixteen times as many dirty chunks, so each chunk is sealed again
// less often. The chunk is read in full once, when it is sealed (materialize, on a sealer
// thread when a commit seals many). docs/performance.md, Random writes.
// Value type; not synchronized (the FileSystem lock guards a slot's patch; a sealer works on
// one it shares, which the writer then copies before it changes it, as with a chunk buffer).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "fs/block_io.h"

namespace peerstore {

class ChunkPatch {
 public:
  static constexpr size_t kSegment = 4096;
  static constexpr size_t kChunk = 64 << 10;
  static constexpr size_t kSegments = kChunk / kSegment;

  ChunkPatch() = default;
  // Shares the segments: one is copied only when written (a sealer may be reading it).
  ChunkPatch(const ChunkPatch& other) = default;
  ChunkPatch& operator=(const ChunkPatch&) = delete;

  // Writes `data` at [lo, lo + size) of the chunk (lo + size <= kChunk). A segment written for
  // the first time in part gets the rest of its bytes from `old` (its bytes before `valid`;
  // zeros after, and everywhere if there is no old block). Returns the segments added.
  Result<size_t> write(BlockIo& io, const std::optional<BlockPtr>& old, size_t valid, size_t lo,
                       ByteView data);
  // Copies [lo, hi) of the segments it holds to `out`, leaves the rest of `out` alone, and
  // returns the sub-ranges it did not hold, in order (what a reader fetches from the block).
  std::vector<std::pair<size_t, size_t>> copy_held(size_t lo, size_t hi, uint8_t* out) const;
  // The whole chunk as plaintext (kChunk bytes, zeros past `valid`): the segments it holds
  // and the others read from `old` (copied out of the store, not mapped).
  Result<std::shared_ptr<Bytes>> materialize(BlockIo& io, const std::optional<BlockPtr>& old,
                                             size_t valid) const;
  // The chunk from the segments alone, once it holds every one (full()).
  std::shared_ptr<Bytes> take_whole() const;

  size_t segments() const { return count_; }
  bool full() const { return count_ == kSegments; }
  bool holds(size_t segment) const { return seg_[segment] != nullptr; }

 private:
  using Segment = std::array<uint8_t, kSegment>;
  // Shared between copies of a patch; never changed while shared.
  std::array<std::shared_ptr<Segment>, kSegments> seg_;
  size_t count_ = 0;
};

}  // namespace peerstore
