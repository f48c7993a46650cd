// Process-wide memory settings of a long-running PeerStore process. Thread-safe; call before the
// process starts its worker threads (later calls still apply to arenas made afterwards).
#pragma once

namespace peerstore {

// Caps glibc's malloc arenas at two. By default glibc gives up to eight per core, and each of
// peerstorefs's threads (FUSE workers, sealers, the store writer) then keeps its own freed 64 KiB
// chunk buffers: 20-30 MiB of RSS while writing 1 GiB (issue 17: under 200 MiB), for no gain on
// a data path that allocates a few buffers per 64 KiB.
void limit_malloc_arenas();

// Returns the free memory malloc keeps to the system (malloc_trim). After a burst that freed
// much (a commit that sealed tens of MiB of dirty chunks), glibc keeps those pages, fragmented
// among live ones, as RSS: 140 MiB after 10 s of 4 KiB random writes. Costs a walk of the
// arenas' free lists: for after bursts, not for every request.
void give_back_free_memory();

}  // namespace peerstore
