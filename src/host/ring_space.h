// RingSpace: what the whole ring can still store (issue 16, item 6: `peerstore status` shows
// the space of the node and of the ring). Found by walking successor lists from one node's
// status: every node reached is asked for its status, once, until no new node turns up or
// kMaxNodes were asked. A node that does not answer is counted, not guessed. The walk is a
// pure function over a query, so it is tested on a fake ring; ask_ring_space() runs it on the
// network. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "dht/message.h"
#include "host/data_dir_layout.h"

namespace peerstore::host {

struct RingSpace {
  size_t nodes = 0;                          // nodes that answered, the first included
  size_t silent = 0;                         // nodes named as successors that did not answer
  bool cut = false;                          // stopped at kMaxNodes
  uint64_t free = 0, total = 0, stored = 0;  // bytes: store_free, store_total, block_bytes
  uint64_t reclaimable = 0;                  // bytes: reclaimable_bytes
};

inline constexpr size_t kMaxRingWalk = 256;

// `query`: a node's status by its address, nullopt when it does not answer.
using StatusQuery = std::function<std::optional<msg::NodeStatus>(const std::string& address)>;
RingSpace walk_ring_space(const msg::NodeStatus& first, const StatusQuery& query,
                          size_t max_nodes = kMaxRingWalk);

// The walk on the network, with the credentials ask_node_status() uses; each node gets
// `per_node` to answer, and the walk stops asking after `overall` (the rest count as silent).
RingSpace ask_ring_space(const DataDirLayout& layout, const msg::NodeStatus& first,
                         std::chrono::milliseconds per_node = std::chrono::seconds(2),
                         std::chrono::milliseconds overall = std::chrono::seconds(10));

}  // namespace peerstore::host
