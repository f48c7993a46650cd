// MountedNode: what `peerstorefs` runs: this computer's Node, a TieredStore over its store and
// the ring, the user's home FileSystem, the MountTree over it and the volumes it links, its
// FUSE mount, and the way out on unmount or a stop signal. Not thread-safe: start, serve and
// destroy on the thread that owns the mount.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/result.h"
#include "fs/file_system.h"
#include "fs/fuse_metrics.h"
#include "fs/mount_options.h"
#include "fs/mount_session.h"
#include "host/dashboard.h"
#include "host/linked_volumes.h"
#include "host/mass_delete_watch.h"
#include "host/mount_claims.h"
#include "host/mount_collector.h"
#include "host/mount_health.h"
#include "host/mount_snapshots.h"
#include "host/node.h"
#include "host/retention_floor.h"
#include "host/share_control.h"
#include "host/share_receiver.h"
#include "host/stop_signals.h"
#include "keys/identity.h"
#include "store/tiered_store.h"

namespace peerstore::host {

struct MountConfig {
  NodeOptions node;        // its device key: the identity's
  std::string mountpoint;  // checked (fs/mount_point.h)
  MountOptions options;
  bool debug = false;  // log every FUSE request
  std::string http;    // ADDR:PORT of the dashboard (host/dashboard.h); empty: none
};

// start() starts no thread before the DHT node and mounts before it returns, so a daemonizing
// caller forks before it and reports to its parent after it (DESIGN §7). The way out: the final
// commit, uploads (up to 60 s), leaving the ring.
class MountedNode {
 public:
  // Opens the data directory, starts or joins the ring, opens the user's tree and mounts it.
  // The threads it starts (DHT loop, uploads, sealers) block the stop signals until serve()
  // runs, so that libfuse's handlers get them.
  static Result<std::unique_ptr<MountedNode>> start(MountConfig config, Identity identity);
  // Serves until unmounted or signalled; then commits, uploads what is pending, leaves the ring
  // and removes DATA/node.addr. The session's error if it had one, else why not everything went
  // up (it stays in DATA for the next start) or why the leave could not place every key.
  Status serve();
  ~MountedNode();
  MountedNode(const MountedNode&) = delete;
  MountedNode& operator=(const MountedNode&) = delete;

  const std::string& address() const { return node_->address(); }

 private:
  MountedNode() = default;

  std::string mountpoint_;
  std::optional<SignalBlock> quiet_helpers_;
  // Destroyed in reverse: the mount, the file system, the tiered store, then the node.
  std::unique_ptr<Node> node_;
  // The claims of what the mount writes: the tiered store's upload queue calls them until it
  // is gone.
  std::unique_ptr<DhtClaimSink> claim_sink_;
  std::unique_ptr<MountClaims> claims_;
  std::shared_ptr<TieredStore> tiered_;
  std::unique_ptr<MountHealth> health_;  // the peerstore.* attributes' source, for fs_
  std::unique_ptr<FileSystem> fs_;
  // Runs every volume (committer, sync, head watch) and opens the linked ones.
  std::unique_ptr<LinkedVolumes> volumes_;
  std::unique_ptr<ShareControl> share_;        // peerstore-share's requests
  std::unique_ptr<ShareReceiver> receiver_;    // shares given to this user, under /shared
  std::unique_ptr<RetentionFloor> floor_;      // how far space pressure thinned snapshots
  std::unique_ptr<MountSnapshots> snapshots_;  // what .snapshots/ shows
  std::unique_ptr<MassDeleteWatch> brake_;     // pins the version before a mass deletion
  std::unique_ptr<MountTree> tree_;
  // Gives back the space of what nothing retains; it commits and reads the linked volumes'
  // file systems, which the tree closes: destroyed before it.
  std::unique_ptr<MountCollector> collector_;
  // What the node's status reads of the collector, from the DHT's loop thread: set once the
  // mount is up, cleared before the collector goes.
  struct CollectorView {
    std::mutex m;
    MountCollector* collector = nullptr;
  };
  std::shared_ptr<CollectorView> collector_view_ = std::make_shared<CollectorView>();
  void show_collector(MountCollector* gc);
  FuseMetrics fuse_metrics_;  // before the session, which counts into it
  std::unique_ptr<MountSession> session_;
  // What the dashboard reads, under view_m_: fs_ (null once the final commit began).
  std::mutex view_m_;
  DashboardView observe();
  // Destroyed first: it reads everything above.
  std::unique_ptr<Dashboard> dashboard_;
};

}  // namespace peerstore::host
