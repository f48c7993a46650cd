// A BlockIo over a MemoryStore with a fixed convergence secret, for testing the tree
// structures (TrieMap, ChunkTree) below FileSystem. `persist()` writes the queued blocks so
// the store's block count shows what a flush produced. Not thread-safe.
#pragma once

#include <doctest/doctest.h>

#include "fs/block_io.h"
#include "store/memory_store.h"

namespace peerstore::test {

struct IoHarness {
  MemoryStore store;
  Secret convergence{Bytes(32, 0x3c)};
  BlockIo io{store, convergence};

  // Writes every queued block (with an empty head set for a dummy volume) and returns the
  // number of blocks now in the store.
  uint64_t persist() {
    VolumeId dummy;
    dummy.b.fill(0xdd);
    REQUIRE(io.commit(dummy, {}).ok());
    auto st = store.stats();
    REQUIRE(st.ok());
    return st->blocks;
  }
};

}  // namespace peerstore::test
