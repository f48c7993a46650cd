// RpcTraffic: what one node's Rpc has sent, received and answered since it started, for
// /metrics (host/dashboard_metrics.h). A value, copied out of the loop thread.
#pragma once

#include <array>
#include <cstdint>

#include "common/latency_histogram.h"
#include "dht/message.h"

namespace peerstore {

struct RpcTraffic {
  std::array<uint64_t, kMessageTypes> served{};  // requests received, by message type index
  std::array<uint64_t, kMessageTypes> called{};  // calls made (each attempt), by type
  // Encoded messages as the transport carried them (a node's calls to itself excluded).
  uint64_t bytes_in = 0, bytes_out = 0;
  uint64_t timeouts = 0, unreachable = 0, corrupt = 0, impostor = 0;
  // From a call's send to its answer (an error answer included; timeouts are not), in the
  // loop clock's whole milliseconds.
  LatencyHistogram::Snapshot latency;
};

}  // namespace peerstore
