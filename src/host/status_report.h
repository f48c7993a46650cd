// The forms `peerstore status` prints a node's status in: text for people, and one line of JSON
// for scripts (field names: id, address, state, predecessor, successors, blocks, head_sets,
// below_target, pending_uploads, uptime_ms, longest_short_ms, store_free, store_total, conflicts
// when the local data directory is known, and ring_nodes, ring_silent, ring_store_free,
// ring_store_total, ring_stored when the ring was walked (host/ring_space.h); nodes as
// "ID@ADDRESS"), and conflict log lines. Stateless; thread-safe.
#pragma once

#include <optional>
#include <string>

#include "dht/message.h"
#include "fs/conflict_log.h"
#include "host/ring_space.h"

namespace peerstore::host {

// A JSON object, no newline. Control characters in addresses (a peer's answer) are dropped;
// bytes that are not UTF-8 become U+FFFD.
// `conflicts`: this computer's count of conflict copies (field "conflicts"), when known.
// `ring`: the whole ring's space, when it was asked for.
std::string status_json(const msg::NodeStatus& s, std::optional<uint64_t> conflicts = {},
                        const RingSpace* ring = nullptr);
// Lines, each ending in a newline.
std::string status_text(const msg::NodeStatus& s, std::optional<uint64_t> conflicts = {},
                        const RingSpace* ring = nullptr);
// One conflict of the conflict log, for `peerstore conflicts`: a line ending in a newline.
std::string conflict_line(const ConflictRecord& c);

}  // namespace peerstore::host
