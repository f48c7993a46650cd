// ChordConfig: the tunables of a Chord node: ring sizes, maintenance periods and timeouts.
// Defaults suit a LAN or WAN deployment; the simulation shortens the timeouts to its latencies.
// Value type; not synchronized.
#pragma once

#include <cstdint>

namespace peerstore {

struct ChordConfig {
  // Ring.
  unsigned successors = 8;    // successor list length r
  unsigned replicas = 3;      // copies of each key: its successor and the next replicas-1 nodes
  unsigned write_quorum = 2;  // acks for a write to succeed
  // Maintenance periods (each timer is jittered by +-10%).
  int64_t stabilize_ms = 1000;
  int64_t check_predecessor_ms = 2000;
  int64_t fix_fingers_ms = 500;     // one finger per tick
  int64_t probe_ms = 2000;          // re-probe of dropped nodes (partition heal)
  int64_t repair_ms = 5000;         // range sync of the primary range with the other replicas
  int64_t handoff_ms = 20000;       // offer keys held outside the replica range to their owners
  int64_t dropped_ttl_ms = 600000;  // how long a dropped node keeps being re-probed
  // A block whose claims are all cancelled is erased after this (BlockRelease), swept this often.
  int64_t release_grace_ms = 24 * 3600 * 1000;
  int64_t release_ms = 60000;
  // The same on a lone node (a ring of one since it started, BlockRelease): a single computer
  // gets the space of what it deleted back within a minute.
  int64_t lone_release_grace_ms = 20000;
  int64_t lone_release_ms = 5000;
  // The claims of an erased block (a tombstone) are dropped after this, an hour on a lone
  // node; negative: kept (BlockRelease).
  int64_t tombstone_ms = 30LL * 24 * 3600 * 1000;
  int64_t lone_tombstone_ms = 3600 * 1000;
  // Timeouts.
  int64_t rpc_timeout_ms = 2000;
  int64_t hop_timeout_ms = 1000;        // one lookup hop
  int64_t transfer_timeout_ms = 10000;  // a block or head transfer
  unsigned suspect_after = 2;   // consecutive failed stabilizes before a successor is dropped
  unsigned store_attempts = 3;  // sends of an idempotent storage request before giving up on it
  unsigned lookup_max_queries = 48;
  unsigned lookup_attempts = 3;  // whole-lookup restarts after the candidates run out
  unsigned cache_size = 32;      // recently seen nodes, used as routing candidates
  unsigned dropped_size = 32;
  unsigned transfer_window = 4;  // concurrent transfers per repair session
  uint64_t rng_seed = 0;         // timer jitter; the simulation passes a per-node seed
};

}  // namespace peerstore
