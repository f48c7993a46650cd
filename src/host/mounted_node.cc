#include "host/mounted_node.h"

#include <unistd.h>

#include <cstring>
#include <future>

#include "common/log.h"
#include "fs/brake_log.h"
#include "fs/version_view.h"
#include "host/conflict_file.h"

namespace peerstore::host {

namespace {

// Waits for an answer that comes on another thread (the claims worker, the DHT loop).
template <typename T>
Result<T> wait_for(std::future<Result<T>> f, const char* what) {
  if (f.wait_for(std::chrono::seconds(120)) != std::future_status::ready)
    return fail(Errc::timeout, std::string(what) + " did not answer within 120 s");
  return f.get();
}

// A file system's commit as a Status.
Status commit_of(FileSystem& fs) {
  if (int err = fs.commit())
    return fail(errc_of_errno(err), std::string("commit: ") + std::strerror(err));
  return {};
}

// The claims worker's cancel in `volume`'s name, waited for.
auto cancel_in(MountClaims& claims, const VolumeId& volume) {
  return [&claims, volume](const CollectionSources::Reached& reached) {
    auto p = std::make_shared<std::promise<Result<Claimant::Counts>>>();
    claims.cancel_unreached(volume, reached,
                            [p](Result<Claimant::Counts> r) { p->set_value(std::move(r)); });
    return wait_for(p->get_future(), "the claims worker");
  };
}

// The collection (docs/lifecycle.md, Local collection) in a mount, of the home volume and the
// linked volumes it writes: the node's store front is the store, the tiered store reads, the
// claims worker cancels, and the DHT node erases the copies outside its replica ranges (the
// rest are the ring's, released by claims).
CollectionSources collection_sources(Node& node, TieredStore& tiered, FileSystem& fs,
                                     LinkedVolumes& volumes, MountClaims& claims,
                                     const Identity& identity, const RetentionPolicy& policy,
                                     RetentionFloor& floor) {
  CollectionSources s;
  s.store = &node.store();
  s.reader = &tiered;
  s.keys = VolumeKeys::derive_home(identity.user);
  s.device = identity.device.public_key();
  s.policy = policy;
  s.pins = [&fs] { return read_pins(fs); };
  s.commit = [&fs] { return commit_of(fs); };
  s.open_unlinked = [&fs] { return fs.open_unlinked(); };
  s.floor = [&floor] { return floor.floor_ns(); };
  s.thin = [&floor](int64_t ns) { return floor.raise(ns); };
  // Short of space: less than twice what the file system keeps free once data no longer fits.
  s.under_pressure = [&store = node.store()] {
    auto space = store.space();
    return space && space->total != StoreSpace::kUnbounded &&
           space->free < 2 * FileSystem::space_reserve(space->total);
  };
  s.waiting = [&tiered](const std::vector<BlockId>& ids) { return tiered.waiting_for_upload(ids); };
  s.upload_ticket = [&tiered] { return tiered.upload_ticket(); };
  s.uploaded = [&tiered](uint64_t ticket) { return tiered.uploaded(ticket); };
  s.cancel = cancel_in(claims, s.keys.id());
  s.claim = [&claims](Volume& v, const Head& h) { return claims.claim_version(v, h); };
  s.linked = [&volumes, &claims] {
    std::vector<LinkedSource> out;
    for (FileSystem* l : volumes.writable()) {
      LinkedSource src;
      src.keys = reader_keys(l->volume().keys());
      src.pins = [l] { return read_pins(*l); };
      src.commit = [l] { return commit_of(*l); };
      src.open_unlinked = [l] { return l->open_unlinked(); };
      src.cancel = cancel_in(claims, l->volume().keys().id());
      src.claim = [&claims](Volume& v, const Head& h) { return claims.claim_version(v, h); };
      out.push_back(std::move(src));
    }
    return out;
  };
  DhtClient& dht = node.dht();
  s.erase = [&dht](std::vector<BlockId> ids, std::shared_ptr<const WriteMark> mark) {
    auto p = std::make_shared<std::promise<Result<uint64_t>>>();
    dht.release_guarded(std::move(ids), std::move(mark), [p](std::vector<BlockId> erased) {
      p->set_value(uint64_t(erased.size()));
    });
    return wait_for(p->get_future(), "the DHT node");
  };
  return s;
}

}  // namespace

Result<std::unique_ptr<MountedNode>> MountedNode::start(MountConfig config, Identity identity) {
  const MountConfig& c = config;
  std::unique_ptr<MountedNode> m(new MountedNode());
  m->mountpoint_ = c.mountpoint;
  NodeOptions nopt = std::move(config.node);
  nopt.device = SigningKey::from_seed(identity.device.seed());
  nopt.join_timeout_ms = 8000;  // the whole start-up answers within 10 s
  nopt.shared_store = true;     // the file system writes the node's store too
  PS_ASSIGN(m->node_, Node::open(std::move(nopt)));
  const std::string& data = m->node_->layout().data();

  // Threads started from here on (DHT loop, disk queue, uploads, sealers, committer) block the
  // stop signals, so libfuse's handlers, which the main thread's loop waits on, get them.
  m->quiet_helpers_.emplace();
  PS_TRY(m->node_->start());
  DhtClient& dht = m->node_->dht();
  // The home volume's new blocks are claimed for this computer before its heads go up
  // (docs/lifecycle.md, Ring collection).
  m->claim_sink_ = std::make_unique<DhtClaimSink>(dht);
  m->claims_ = std::make_unique<MountClaims>(m->node_->claims_table(), *m->claim_sink_,
                                             identity.device.public_key());
  PS_TRY(m->claims_->add_volume(VolumeKeys::derive_home(identity.user)));
  TieredStoreOptions topt;
  topt.replicated = c.options.replicated;
  topt.cache_bytes = c.options.cache_bytes;
  topt.upload.claim = m->claims_->upload_hook();
  m->tiered_ = std::make_shared<TieredStore>(m->node_->store(), dht, topt);
  // What `peerstore status` shows of the mount, through its node; on the DHT's loop thread,
  // which may ask while the mount stops: the tiered store through a weak pointer, the collector
  // through a view cleared before it goes.
  dht.set_host_facts(
      [w = std::weak_ptr<TieredStore>(m->tiered_), gc = m->collector_view_](msg::NodeStatus& s) {
        if (auto t = w.lock()) s.pending_uploads = t->tier_stats().upload.pending;
        std::lock_guard lock(gc->m);
        if (!gc->collector) return;
        MountCollector::Stats st = gc->collector->stats();
        s.last_collection_ns = uint64_t(std::max<int64_t>(0, st.last_ns));
        s.last_collection_freed = st.last.erased + st.last.cancelled;
        s.collection_failures = st.failures;
      });

  auto damaged = [&](const Error& e) {
    return fail(e.code, "cannot open the file system in " + data + ": " + e.message() +
                            "; the data directory is damaged or belongs to another identity");
  };
  auto volume = Volume::open(*m->tiered_, VolumeKeys::derive_home(identity.user),
                             identity.device.public_key());
  if (!volume && volume.code() == Errc::unavailable) return volume.error();
  if (!volume) return damaged(volume.error());
  m->health_ = std::make_unique<MountHealth>(dht, *m->tiered_, m->node_->layout().conflicts());
  FileSystem::Options fo;
  fo.statfs_path = data;
  fo.health = m->health_.get();
  FileSystem::Options home = fo;  // LinkedVolumes sets the linked ones' own
  home.before_adopt = [claims = m->claims_.get()](Volume& v, const Head& h) {
    return claims->claim_version(v, h);
  };
  auto fs = FileSystem::open(std::move(*volume), home, Caller{getuid(), getgid()});
  if (!fs) return damaged(fs.error());
  m->fs_ = std::move(*fs);
  m->volumes_ = std::make_unique<LinkedVolumes>(*m->tiered_, dht, identity.device.public_key(), fo,
                                                m->node_->layout().conflicts(), m->claims_.get());
  m->share_ = std::make_unique<ShareControl>(*m->tiered_, ShareControl::post_through(dht),
                                             identity.user, identity.device.public_key(), fo);
  m->receiver_ =
      std::make_unique<ShareReceiver>(ShareReceiver::inbox_of(dht, identity.user.public_key()),
                                      *m->fs_, identity.user, Caller{getuid(), getgid()});
  m->share_->set_on_change([r = m->receiver_.get()] { r->wake(); });
  m->tree_ = std::make_unique<MountTree>(*m->fs_, m->volumes_.get());
  m->tree_->set_control(m->share_.get());
  m->floor_ = std::make_unique<RetentionFloor>(m->node_->layout().thinned());
  m->snapshots_ = std::make_unique<MountSnapshots>(
      *m->tiered_, VolumeKeys::derive_home(identity.user), identity.device.public_key(),
      c.options.snapshots, [fs = m->fs_.get()] { return read_pins(*fs); },
      [floor = m->floor_.get()] { return floor->floor_ns(); });
  m->tree_->set_snapshots(m->snapshots_.get());
  m->brake_ = std::make_unique<MassDeleteWatch>(
      *m->tiered_, VolumeKeys::derive_home(identity.user), identity.device.public_key(), *m->fs_,
      c.options.brake, [file = m->node_->layout().brakes()](const MassDeleteWatch::Tripped& t) {
        BrakeRecord r{t.pin.name, t.pin.pinned_ns, t.removed, t.files_before};
        if (auto st = append_brake(file, r); !st)
          log::warn("cannot record the mass deletion in " + file + ": " + st.error().message());
      });
  m->collector_ = std::make_unique<MountCollector>(
      collection_sources(*m->node_, *m->tiered_, *m->fs_, *m->volumes_, *m->claims_, identity,
                         c.options.snapshots, *m->floor_),
      MountCollector::Options{});
  m->fs_->set_removal_sink(
      [w = m->brake_.get(), gc = m->collector_.get()](int64_t t, uint64_t where) {
        w->removed(t, where);
        gc->removed();
      });
  m->volumes_->set_removal_sink([gc = m->collector_.get()] { gc->removed(); });
  m->show_collector(m->collector_.get());
  PS_ASSIGN(m->session_, MountSession::mount(*m->tree_,
                                             {c.mountpoint, c.options.fuse, c.debug,
                                              std::chrono::microseconds(c.options.fuse_spin_us)},
                                             &m->fuse_metrics_));
  if (!c.http.empty()) {
    MountedNode* self = m.get();
    PS_ASSIGN(m->dashboard_, Dashboard::start(c.http, [self] { return self->observe(); }));
  }
  return m;
}

MountedNode::~MountedNode() {
  show_collector(nullptr);  // before the members go: the DHT's loop may still ask
}

void MountedNode::show_collector(MountCollector* gc) {
  std::lock_guard lock(collector_view_->m);
  collector_view_->collector = gc;
}

DashboardView MountedNode::observe() {
  DashboardView v{"peerstorefs", node_->dht().observe(), std::nullopt};
  MountView m;
  m.mountpoint = mountpoint_;
  m.uploads = tiered_->tier_stats().upload;
  m.fuse = fuse_metrics_.snapshot();
  if (auto list = read_conflicts(node_->layout().conflicts())) m.conflicts = list->size();
  std::lock_guard lock(view_m_);
  if (!fs_) return v;  // unmounted: the node is all there is left to show
  m.sync = fs_->sync_stats();
  v.mount = std::move(m);
  return v;
}

Status MountedNode::serve() {
  log::info("mounted " + mountpoint_ + "; node " + node_->address());
  fs_->set_conflict_sink([file = node_->layout().conflicts()](const ConflictRecord& r) {
    if (auto st = append_conflict(file, r); !st)
      log::warn("cannot record the conflict in " + file + ": " + st.error().message());
  });
  volumes_->started(*fs_);
  receiver_->start();
  share_->start(*tree_);  // revokes left unfinished
  quiet_helpers_.reset();
  Status ran = session_->run();
  share_->stop();
  session_.reset();
  fs_->set_removal_sink(nullptr);
  volumes_->set_removal_sink(nullptr);
  show_collector(nullptr);
  collector_.reset();
  brake_.reset();
  receiver_.reset();
  if (Status closed = tree_->close(); !closed) log::error(closed.error().message());
  volumes_->closing(*fs_);
  std::unique_ptr<FileSystem> closing;
  {
    std::lock_guard lock(view_m_);
    closing = std::move(fs_);
  }
  closing.reset();  // the final commit
  health_.reset();

  // Everything committed goes to the network before this node leaves it.
  Status flushed = tiered_->flush(std::chrono::seconds(60));
  if (!flushed) {
    std::string why = "not everything reached the network: " + flushed.error().message() +
                      "; it stays in " + node_->layout().data() + " and goes up at the next start";
    flushed = fail(flushed.code(), why);
  }
  node_->dht().set_host_facts(nullptr);
  Status left = node_->leave();
  dashboard_.reset();
  tiered_.reset();
  // Any of them makes the process exit non-zero: the data is safe locally, not yet on the ring.
  if (!ran) return ran;
  if (!flushed) return flushed;
  return left;
}

}  // namespace peerstore::host
