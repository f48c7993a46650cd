// Fuzz target: ChunkTree's node decoder (the pointer blocks above a large file's chunks), on a
// node read from a sealed block as the mount reads it. The input is the plaintext of a level-1
// node; the target seals it into an in-memory store, loads it as the root of a depth-1 tree
// (and of a depth-2 tree, whose children are then missing blocks), and checks that every chunk
// lands inside the node's span and that a re-flushed tree loads to the same chunks.
#include "fs/chunk_tree.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace {

std::map<uint64_t, BlockPtr> chunks_of(const ChunkTree& t) {
  std::map<uint64_t, BlockPtr> out;
  for (auto& [idx, slot] : t.slots())
    if (slot.ptr) out[idx] = *slot.ptr;
  return out;
}

}  // namespace

namespace peerstore::fuzz {
// Level-1 nodes as the mount writes them: a dense file, a sparse one, one chunk at the end.
void make_seeds(Seeds& seeds) {
  auto node_of = [&](const std::vector<uint64_t>& idxs, const std::string& name) {
    ChunkTree t(fuzz::shared_io());
    for (uint64_t i : idxs) t.at(i).buf = std::make_shared<Bytes>(ChunkTree::kChunkSize, 1);
    auto root = t.flush((idxs.back() + 1) * ChunkTree::kChunkSize);
    check(root && root->first && root->second == 1, "seed chunk tree flush");
    seeds.add(name, *fuzz::shared_io().read(*root->first));
  };
  node_of({0, 1, 2, 3}, "dense");
  node_of({0, 17, 400}, "sparse");
  node_of({1023}, "last-slot");
  fuzz::clear(fuzz::shared_store());
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::clear(fuzz::shared_store());
  BlockPtr ptr = fuzz::add_sealed(fuzz::shared_store(), ByteView(data, size));
  {
    ChunkTree deep(fuzz::shared_io());
    auto st = deep.load(ptr, 2);
    fuzz::check(st || st.code() == Errc::corrupt || st.code() == Errc::not_found,
                "a chunk tree error other than corrupt or a missing child");
  }
  ChunkTree t(fuzz::shared_io());
  auto st = t.load(ptr, 1);
  if (!st) {
    fuzz::check(st.code() == Errc::corrupt, "a chunk tree node error other than corrupt");
    return 0;
  }
  auto chunks = chunks_of(t);
  for (auto& [idx, p] : chunks) fuzz::check(idx < 1024, "a chunk outside a level-1 node's span");
  if (chunks.empty()) return 0;
  // Dirty the last chunk's path without changing it, so flush() re-encodes the node.
  uint64_t last = chunks.rbegin()->first;
  t.invalidate(last);
  auto root = t.flush((last + 1) * ChunkTree::kChunkSize);
  fuzz::check(root.ok() && root->first.has_value(), "re-flushing a loaded chunk tree fails");
  ChunkTree copy(fuzz::shared_io());
  fuzz::check(copy.load(root->first, root->second).ok(), "a re-flushed chunk tree does not load");
  fuzz::check(chunks_of(copy) == chunks, "a re-flushed chunk tree holds other chunks");
  return 0;
}
