// DashboardView: what the dashboard (host/dashboard.h) shows of one process at one moment: its
// node (status, fingers, ring size, traffic) and, for peerstorefs, its mount (live sync, uploads,
// conflicts, FUSE requests); and the two forms it is served in, /api/status JSON and /metrics
// Prometheus text. Nothing secret is in it: node ids are hashes of public keys, addresses are
// what peers see anyway, and no key, token or file name is ever copied into it.
// Value type; the functions are stateless and thread-safe.
#pragma once

#include <optional>
#include <string>

#include "dht/dht_client.h"
#include "fs/file_system.h"
#include "fs/fuse_metrics.h"
#include "store/upload_queue.h"

namespace peerstore::host {

struct MountView {
  std::string mountpoint;
  FileSystem::SyncStats sync;  // since the mount started
  UploadQueue::Stats uploads;
  uint64_t conflicts = 0;  // conflict copies in the data directory's log (`peerstore conflicts`)
  FuseMetrics::Snapshot fuse;
};

struct DashboardView {
  std::string program;  // "peerstorefs", "peerstore-node"
  DhtClient::Observation node;
  std::optional<MountView> mount;  // peerstorefs only
};

// One JSON object (docs/dashboard.md lists its fields). Text a peer sent (addresses, states) is
// made printable; bytes that are not UTF-8 become U+FFFD.
std::string dashboard_json(const DashboardView& v);
// The Prometheus text (docs/dashboard.md lists the metrics).
std::string dashboard_metrics(const DashboardView& v);

}  // namespace peerstore::host
