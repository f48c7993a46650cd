// ChordNode: one member of the PeerStore DHT: Chord ring maintenance with Pamela Zave's
// corrections (a successor list of r; join copies the successor's list; stabilize adopts the
// successor's predecessor only after that node answers; rectify replaces a dead predecessor),
// finger tables, iterative lookups, and replicated storage of blocks and head sets (each key on
// its successor and the next replicas-1 nodes, quorum writes, verified reads), kept at the
// target copy count by range-summary repair, join pulls, leave handoffs and re-probing of
// dropped nodes after partitions. It sees the world only through a Transport, a Clock, a
// LocalStore it reads and a DiskQueue it writes through. Loop thread only: no threads, no
// blocking; every callback runs on the loop.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>

#include "dht/block_release.h"
#include "dht/chord_config.h"
#include "dht/clock.h"
#include "dht/disk_queue.h"
#include "dht/head_watch.h"
#include "dht/lookup.h"
#include "dht/range_sync.h"
#include "dht/replica_store.h"
#include "dht/replicator.h"
#include "dht/routing_table.h"
#include "dht/rpc.h"
#include "dht/transport.h"

namespace peerstore {

class ChordNode {
 public:
  enum class State { idle, joining, member, leaving, left };

  struct Stats {
    uint64_t lookups = 0, lookup_failures = 0, lookup_hops = 0, lookup_timeouts = 0;
    uint64_t stabilizations = 0, successor_drops = 0, rejoins = 0, merges = 0;
    uint64_t repair_sessions = 0, keys_pulled = 0, keys_pushed = 0, heads_merged = 0;
    uint64_t handoff_sessions = 0, handoff_pushed = 0;
    uint64_t rejected_blocks = 0, rejected_heads = 0, bad_copies_read = 0;
  };

  // `store` and `disk` (which writes to `store`) must outlive the node.
  ChordNode(Transport& transport, Clock& clock, LocalStore& store, DiskQueue& disk, const Id256& id,
            ChordConfig cfg = {});
  ~ChordNode();
  ChordNode(const ChordNode&) = delete;
  ChordNode& operator=(const ChordNode&) = delete;

  // Starts a new ring of one node.
  void create();
  // Joins the ring that `bootstrap` (an address) belongs to. `done` runs once the node is a
  // member (it then copies its successor's list) or when joining failed.
  void join(const std::string& bootstrap, std::function<void(Status)> done);
  // Brings every write this node made to its full replica count, hands this node's keys to the
  // nodes that own them once it is gone, tells its neighbours, and stops. From the start it
  // refuses writes (with an error answer); `done` runs once every write it accepted before is on
  // disk and acknowledged, with an error if some key could not be placed on all its replicas
  // (each phase, these writes and the handoff, fails after store_attempts + 1 transfer timeouts
  // without progress).
  void leave(std::function<void(Status)> done);

  using LookupDone = std::function<void(Result<Lookup::Outcome>)>;
  void lookup(const Id256& key, LookupDone done);
  // Stores a block on the key's replicas; succeeds once write_quorum of them have it, and goes on
  // in the background until all `replicas` have it (see Replicator).
  void put_block(const Id256& id, Bytes data, std::function<void(Status)> done);
  // put_block for a block the hosting process sealed itself (its id is the hash computed then),
  // without hashing it again on the loop thread; the replicas still check what they receive.
  void put_own_block(const Id256& id, Bytes data, std::function<void(Status)> done);
  // put_own_block for a block the hosting process already wrote to this node's store: when this
  // node is the block's only replica (a one-node network) it is indexed, no bytes read;
  // otherwise its bytes are read from the store for the copies sent to other nodes.
  // `size`: as RemoteStore::put_stored_block.
  void put_stored_block(const Id256& id, size_t size, std::function<void(Status)> done);
  // Reads the first copy that hashes to its id, trying the replicas in order; a read that met
  // unreachable nodes (churn) asks again after 1 and 2 stabilize periods.
  void get_block(const Id256& id, std::function<void(Result<Bytes>)> done);
  // Adds records to the owner's set of a record kind (dht/record_kind.h) on its replicas
  // (quorum), after checking every one here: Errc::invalid for one that does not verify.
  void put_records(KeyKind kind, const Id256& owner, std::vector<Bytes> records,
                   std::function<void(Status)> done);
  // The merged, verified set of the owner's records of `kind` from all reachable replicas;
  // replicas that answered with less get the merged set (read repair).
  void get_records(KeyKind kind, const Id256& owner,
                   std::function<void(Result<std::vector<Bytes>>)> done);
  // Adds heads to a volume's head set on its replicas (quorum), after checking them here.
  void put_heads(const VolumeId& volume, std::vector<Bytes> heads,
                 std::function<void(Status)> done) {
    put_records(KeyKind::heads, volume, std::move(heads), std::move(done));
  }
  // The merged, verified head set of the volume from all reachable replicas.
  void get_heads(const VolumeId& volume, std::function<void(Result<std::vector<Bytes>>)> done) {
    get_records(KeyKind::heads, volume, std::move(done));
  }
  // How many members of each block's replica set hold it, in the order of `ids` (the
  // peerstore.replicas attribute): one lookup for each run of ids that shares a replica set,
  // then an Offer, which changes nothing, to each member; a member that does not answer holds
  // none. Errc::unavailable when this node is not a ring member.
  using CopiesDone = std::function<void(Result<std::vector<uint32_t>>)>;
  void count_copies(std::vector<Id256> ids, CopiesDone done);
  // Asks the volume's replicas to tell this node when its head set changes (and asks again
  // every HeadWatch::kRenewMs, so replicas that joined since learn of it); `changed` then runs
  // on the loop thread. Pushed news, best effort: a watcher still polls for what was missed.
  void watch_heads(const VolumeId& volume, std::function<void()> changed) {
    watch_records(KeyKind::heads, volume, std::move(changed));
  }
  // The same for the owner's record set of any record kind (a user's inbox).
  void watch_records(KeyKind kind, const Id256& owner, std::function<void()> changed);

  const NodeRef& self() const { return self_; }
  State state() const { return state_; }
  bool is_member() const { return state_ == State::member; }
  const RoutingTable& routing() const { return routing_; }
  const ReplicaStore& storage() const { return store_; }
  const ChordConfig& config() const { return cfg_; }
  const Stats& stats() const { return stats_; }
  const Rpc::Stats& rpc_stats() const { return rpc_.stats(); }
  RpcTraffic rpc_traffic() const { return rpc_.traffic(); }
  const Replicator::Stats& replication_stats() const { return replicator_.stats(); }
  // Blocks erased because every claim on them was cancelled, and those waiting out their grace.
  const BlockRelease::Stats& release_stats() const { return release_.stats(); }

  // Deletes the local copies of those `ids` this node does not keep as a replica (outside
  // (pred_R, self]), for the hosting process's bounded cache; `done` gets the ids deleted. While
  // the ring is smaller than the replica count, or the node is not a member, it keeps them all.
  // The erase is guarded by `guard` (a write mark of the store: a block written after it
  // stays), or by a mark taken now.
  void release_blocks(const std::vector<Id256>& ids, std::function<void(std::vector<Id256>)> done,
                      std::shared_ptr<const WriteMark> guard = nullptr);

  // What `peerstore status` shows (a get_status request gets the same).
  msg::NodeStatus status() const;
  // The distinct nodes of the finger table other than this one, in finger order (the dashboard
  // draws them), and the ring's size as the successor list tells it (dht/ring_size.h).
  std::vector<NodeRef> fingers() const;
  double ring_size_estimate() const;
  // What the hosting process adds to status() (its upload queue's pending count, its
  // collector's last run), called on the loop thread; nullptr: nothing.
  void set_host_facts(std::function<void(msg::NodeStatus&)> facts) {
    host_facts_ = std::move(facts);
  }
  static const char* state_name(State s);

 private:
  enum Task {
    kStabilize,
    kCheckPred,
    kFixFingers,
    kProbe,
    kRepair,
    kHandoff,
    kWatch,
    kRelease,
    kTaskCount
  };

  // Maintenance (chord_node.cc).
  void become_member();
  void arm(Task t, int64_t delay_ms);
  void run_task(Task t);
  int64_t jitter(int64_t period);
  int64_t release_period() const;  // of the release sweep: short while lone_
  void stabilize();
  void on_successor_answer(const NodeRef& s, const msg::Neighbors& nb);
  void successor_failed(const NodeRef& s);
  void adopt_successor(const NodeRef& candidate, std::function<void(bool)> then);
  void notify(const NodeRef& n);
  // Pings nodes a peer named that have not proved their identity yet, so that they can be taken
  // into our lists; runs `then`, if given, once all answered or timed out.
  void prove(const std::vector<NodeRef>& nodes, std::function<void()> then = nullptr);
  // Pings n in kGoneRounds rounds of kGoneWidth pings at once; `done(true)` if none answered.
  static constexpr unsigned kGoneRounds = 3, kGoneWidth = 4;
  void confirm_gone(const NodeRef& n, std::function<void(bool gone)> done, unsigned round = 0);
  void rejoin();
  // Adopts seeds[i], else the next one that answers, as our successor.
  void rejoin_through(std::vector<NodeRef> seeds, size_t i);
  void check_predecessor();
  void set_predecessor(const NodeRef& p);
  void fix_fingers();
  void probe_dropped();
  void consider_merge(const NodeRef& n);
  void successors_changed();
  void try_join(const std::string& bootstrap, unsigned attempt);
  // A leave fails with `what` after 3 transfer timeouts without progress (a key pushed or
  // offered, or a write reaching its count): a big handoff that moves is slow, not stuck.
  void arm_leave_deadline(std::string what);
  std::function<void()> leave_progress() {
    return [this] { ++leave_progress_; };
  }
  void leave_after_writes();
  void finish_leave(Status st);
  void stop_timers();

  // Head watches (chord_node_watch.cc).
  void renew_watches();
  // Tells the watchers of the record set at `key` that it changed.
  void notify_watchers(const Id256& key);

  // Requests (chord_node_requests.cc).
  void on_request(const std::string& from, Message m);
  void on_notify(const NodeRef& c);
  // Serves a client's block or head request as the ring operation it stands for; false for
  // any other request.
  bool relay_for_client(const std::string& from, Message& m);
  // Logs once when the store starts refusing copies for lack of space, and when it takes them
  // again.
  void note_store_full(const Status& st);
  void on_leaving(const NodeRef& who, const msg::Leaving& m);
  void respond(const std::string& to, const Message& req, Body body);
  void answer_write(const std::string& to, uint64_t request_id, const Status& st);

  // Replication health (chord_node_status.cc). What the last repair session with one replica
  // showed: it holds every key of (lo, hi] but `lacking`. Incomplete: some request went
  // unanswered, so nothing is known.
  struct ReplicaCheck {
    Id256 lo, hi;
    bool complete = false;
    std::set<std::pair<Id256, KeyKind>> lacking;
  };
  void record_check(const NodeRef& replica, const Id256& lo, const Id256& hi,
                    const RangeSync::Stats& st);
  uint64_t below_target() const;

  // Storage, repair and handoff (chord_node_storage.cc).
  void repair();
  void handoff();
  // Offers keys[pos..] (in ring order), group by group, to the replica set the first key of
  // each group has now; `done` gets where it stopped, the keys, the groups some replica failed
  // to take and whether the node's state changed under it.
  using OffersDone = std::function<void(size_t next, const std::vector<KeyEntry>& keys,
                                        size_t failed, bool stopped)>;
  static constexpr unsigned kLeaveOfferTries = 4;
  void offer_to_owners(std::vector<KeyEntry> keys, size_t pos, unsigned groups_left,
                       OffersDone done, size_t failed = 0, unsigned tries = 0);
  // Hands every key to the nodes that keep it once we are gone; a round in which some target
  // failed is planned again without it (kLeaveOfferTries rounds in all).
  void leave_handoff(unsigned round = 0);
  std::vector<NodeRef> replicas_of(const std::vector<NodeRef>& successors) const;
  // count_copies, from the `pos`th id in ring order on (chord_node_copies.cc).
  struct CopyCount;
  void count_copies_from(std::shared_ptr<CopyCount> job, size_t pos);
  // min(replicas, the ring's size as far as this node knows it; a leaving node not counted).
  size_t copies_possible() const;
  void quorum_write(const Id256& key, Body request, std::function<void(Status)> done);
  static constexpr unsigned kReadAttempts = 3;
  void fetch_block(const Id256& id, unsigned attempt, std::function<void(Result<Bytes>)> done);
  void read_block_from(const Id256& id, std::vector<NodeRef> nodes, size_t i, bool any_failed,
                       std::function<void(Result<Bytes>)> done);

  Transport& transport_;
  Clock& clock_;
  ChordConfig cfg_;
  NodeRef self_;
  State state_ = State::idle;
  // Created a ring of its own and has heard from no other node since (BlockRelease's lone
  // grace). A partitioned node was not alone before, so it never counts as lone.
  bool lone_ = false;
  std::mt19937_64 rng_;
  RoutingTable routing_;
  ReplicaStore store_;
  BlockRelease release_;  // erases the blocks no claimant needs (kRelease)
  HeadWatch watch_;
  Stats stats_;
  bool store_full_ = false;

  Clock::TimerId timers_[kTaskCount] = {};
  bool stabilizing_ = false;
  unsigned succ_failures_ = 0;
  unsigned pred_failures_ = 0;
  bool checking_pred_ = false;
  int next_finger_ = 255;
  bool fixing_finger_ = false;
  std::vector<Id256> last_replica_set_;
  std::set<std::string> syncing_;  // peers with a RangeSync running
  // Replicas whose store refused our blocks in their last session, until when (repair).
  std::map<Id256, int64_t> full_replicas_;
  // Our predecessor, when it last said its store is full, and until when (repair acts for it).
  std::pair<Id256, int64_t> pred_full_{};
  std::map<Id256, ReplicaCheck> checks_;  // of the replicas in last_replica_set_
  bool handing_off_ = false;
  Id256 handoff_cursor_;
  std::string bootstrap_;  // the address we joined through
  int64_t next_bootstrap_probe_ = 0;
  std::function<void(Status)> join_done_;
  std::function<void(Status)> leave_done_;
  Clock::TimerId leave_deadline_ = 0;
  uint64_t leave_progress_ = 0;
  std::function<void(msg::NodeStatus&)> host_facts_;
  std::set<Clock::TimerId> retry_timers_;  // reads and leave offers waiting to ask again
  // Nodes that failed to take keys from this leaving node: its retries skip them, and offer to
  // the next node of the key's successor list instead (the other nodes' lists may name a dead
  // replica for a few stabilizations, longer than a leave may take).
  std::set<Id256> refused_handoff_;
  int64_t started_ms_;

  Rpc rpc_;  // destroyed before the members above, dropping every callback into this node
  // Writes of this node's process until they reach their full count; after rpc_, which it uses.
  Replicator replicator_;
};

}  // namespace peerstore
