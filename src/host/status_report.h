// The forms `peerstore status` prints a node's status in: text for people, and one line of JSON
// for scripts (field names: id, address, state, predecessor, successors, blocks, head_sets,
// below_target, pending_uploads, uptime_ms, longest_short_ms, store_free, store_total; conflicts,
// mass_deletions and last_mass_deletion ({pin, time, removed, files}, when there was one) when
// the local data directory is known; and ring_nodes, ring_silent, ring_store_free,
// ring_store_total, ring_stored when the ring was walked (host/ring_space.h); nodes as
// "ID@ADDRESS"), and conflict log lines. Stateless; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "dht/message.h"
#include "fs/brake_log.h"
#include "fs/conflict_log.h"
#include "host/ring_space.h"

namespace peerstore::host {

// What status knows of this computer's data directory, when it is the local one.
struct LocalFacts {
  uint64_t conflicts = 0;                   // conflict copies live sync made
  std::vector<BrakeRecord> mass_deletions;  // what the brake pinned, oldest first
};

// A JSON object, no newline. Control characters in addresses (a peer's answer) are dropped;
// bytes that are not UTF-8 become U+FFFD.
// `local`: this computer's facts, when known. `ring`: the whole ring's space, when asked for.
std::string status_json(const msg::NodeStatus& s, const LocalFacts* local = nullptr,
                        const RingSpace* ring = nullptr);
// Lines, each ending in a newline.
std::string status_text(const msg::NodeStatus& s, const LocalFacts* local = nullptr,
                        const RingSpace* ring = nullptr);
// One conflict of the conflict log, for `peerstore conflicts`: a line ending in a newline.
std::string conflict_line(const ConflictRecord& c);

}  // namespace peerstore::host
