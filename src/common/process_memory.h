// Process-wide memory settings of a long-running PeerStore process. Thread-safe; call before the
// process starts its worker threads (later calls still apply to arenas made afterwards).
#pragma once

namespace peerstore {

// Caps glibc's malloc arenas at two. By default glibc gives up to eight per core, and each of
// peerstorefs's threads (FUSE workers, sealers, the store writer) then keeps its own freed 64 KiB
// chunk buffers: 20-30 MiB of RSS while writing 1 GiB (issue 17: under 200 MiB), for no gain on
// a data path that allocates a few buffers per 64 KiB.
void limit_malloc_arenas();

}  // namespace peerstore
