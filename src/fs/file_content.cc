#include "fs/file_content.h"

#include <cstring>

#include "fs/chunk_tree.h"
#include "fs/text_merge.h"

namespace peerstore {

Result<std::optional<Bytes>> read_small_file(BlockIo& io, const InodeRecord& r, size_t max) {
  if (!r.is_file() || r.size > max) return std::optional<Bytes>();
  if (!r.root) {
    Bytes b = r.inline_data;
    b.resize(size_t(r.size), 0);  // a file grown by truncate reads zeros past its bytes
    return std::optional<Bytes>(std::move(b));
  }
  ChunkTree t(io);
  PS_TRY(t.load(r.root, r.depth));
  Bytes out(size_t(r.size), 0);
  for (auto& [idx, slot] : t.slots()) {
    uint64_t start = idx * ChunkTree::kChunkSize;
    if (start >= r.size || !slot.ptr) continue;
    PS_ASSIGN(Bytes chunk, io.read(*slot.ptr));
    size_t n = std::min<size_t>(chunk.size(), size_t(r.size - start));
    std::memcpy(out.data() + start, chunk.data(), n);
  }
  return std::optional<Bytes>(std::move(out));
}

Status set_file_content(BlockIo& io, InodeRecord& r, ByteView bytes) {
  r.size = bytes.size();
  if (bytes.size() <= InodeRecord::kInlineMax) {
    r.inline_data.assign(bytes.begin(), bytes.end());
    r.root.reset();
    r.depth = 0;
    r.entries = 0;
    return {};
  }
  ChunkTree t(io);
  for (size_t off = 0, idx = 0; off < bytes.size(); off += ChunkTree::kChunkSize, ++idx) {
    size_t n = std::min(ChunkTree::kChunkSize, bytes.size() - off);
    auto buf = std::make_shared<Bytes>(ChunkTree::kChunkSize, 0);
    std::memcpy(buf->data(), bytes.data() + off, n);
    t.at(idx).buf = std::move(buf);
  }
  PS_ASSIGN(auto root, t.flush(bytes.size()));
  r.inline_data.clear();
  r.root = root.first;
  r.depth = root.second;
  r.entries = t.chunk_count();
  return {};
}

Result<bool> merge_text_content(BlockIo& io, const InodeRecord& base, const InodeRecord& w,
                                const InodeRecord& l, InodeRecord& out) {
  if (!base.is_file() || !w.is_file() || !l.is_file()) return false;
  PS_ASSIGN(auto b, read_small_file(io, base, kMaxTextMerge));
  if (!b) return false;
  PS_ASSIGN(auto wb, read_small_file(io, w, kMaxTextMerge));
  if (!wb) return false;
  PS_ASSIGN(auto lb, read_small_file(io, l, kMaxTextMerge));
  if (!lb) return false;
  auto merged = merge_text(*b, *wb, *lb);
  if (!merged) return false;
  PS_TRY(set_file_content(io, out, *merged));
  return true;
}

}  // namespace peerstore
