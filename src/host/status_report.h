// The forms `peerstore status` prints a node's status in: text for people, and one line of JSON
// for scripts (field names: id, address, state, predecessor, successors, blocks, head_sets,
// below_target, pending_uploads, uptime_ms; nodes as "ID@ADDRESS"). Stateless; thread-safe.
#pragma once

#include <string>

#include "dht/message.h"

namespace peerstore::host {

// A JSON object, no newline. Control characters in addresses (a peer's answer) are dropped;
// bytes that are not UTF-8 become U+FFFD.
std::string status_json(const msg::NodeStatus& s);
// Lines, each ending in a newline.
std::string status_text(const msg::NodeStatus& s);

}  // namespace peerstore::host
