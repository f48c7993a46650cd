// Replicator: the writes a node makes for its process (blocks and head sets), from the first
// send to the key's full replica count. A write succeeds for its caller once `write_quorum`
// replicas acknowledged it; the Replicator keeps the request and goes on until every replica of
// the key's current replica set holds it: it re-sends to the replicas that failed, with back-off,
// and looks the replica set up again before each new round (a crashed replica is replaced by the
// next node on the ring). It measures how long each write spent at quorum but below its target.
// Loop thread only; the ChordNode that owns it outlives every callback (they run through its Rpc
// and Clock, which drop them when the node goes).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dht/chord_config.h"
#include "dht/clock.h"
#include "dht/message.h"
#include "dht/rpc.h"

namespace peerstore {

class Replicator {
 public:
  // The key's replica set as the ring sees it now (successor first), or why it is not known.
  using FindReplicas =
      std::function<void(const Id256& key, std::function<void(Result<std::vector<NodeRef>>)>)>;

  struct Stats {
    uint64_t writes = 0;           // reached quorum
    uint64_t full = 0;             // reached the full count
    uint64_t resends = 0;          // rounds after the first
    uint64_t abandoned = 0;        // gave up after kMaxShortMs (repair is left to place them)
    int64_t longest_short_ms = 0;  // the longest time a write spent at quorum, below target
  };
  // A write not at its target this long is left to repair, loudly.
  static constexpr int64_t kMaxShortMs = 10 * 60 * 1000;
  // Bytes of writes kept at quorum below target beyond which a new write reports success only
  // when its first round is over (all replicas answered): back-pressure on a writer that outruns
  // its slowest replica, instead of keeping an unbounded backlog in memory.
  static constexpr size_t kMaxShortBytes = 64 << 20;

  // How many copies a key can have on the ring as this node knows it: min(replicas, ring size).
  // A replica set shorter than that (a lookup answered from a successor list cut short by churn)
  // is not a full count: the write goes on with a new lookup.
  using ExpectedCopies = std::function<size_t()>;

  Replicator(Rpc& rpc, Clock& clock, const ChordConfig& cfg, FindReplicas find,
             ExpectedCopies expected);
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Sends `request` (a put_block or put_heads of `key`) to `replicas`. `done` runs once, with
  // success at quorum (min(write_quorum, replicas)) or with the error once too few can answer;
  // after a success the write goes on in the background until it is at its full count.
  void write(const Id256& key, Body request, const std::vector<NodeRef>& replicas,
             std::function<void(Status)> done);

  // Writes that reached quorum and are not at their full count yet (each is one key below its
  // replica target), plus those still on their way to quorum.
  size_t pending() const { return writes_.size(); }
  size_t short_bytes() const { return short_bytes_; }
  // Runs `done` once pending() is 0 (at once if it is).
  void drain(std::function<void()> done);
  // Counts acknowledgements from `self` no more (a leaving node's own copy is going away); its
  // writes then complete only on other nodes.
  void exclude(const Id256& self);
  const Stats& stats() const { return stats_; }
  // The first `max` writes below their full count, one line each: the key, its copies, the
  // replicas that have not acknowledged it and their last error. For a leave that times out.
  std::string describe_pending(size_t max) const;

 private:
  struct Write;
  void send_round(const std::shared_ptr<Write>& w, const std::vector<NodeRef>& replicas);
  void round_over(const std::shared_ptr<Write>& w);
  void report_success(const std::shared_ptr<Write>& w);
  void retry_later(const std::shared_ptr<Write>& w);
  void finish(uint64_t id);

  Rpc& rpc_;
  Clock& clock_;
  const ChordConfig& cfg_;
  FindReplicas find_;
  ExpectedCopies expected_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::shared_ptr<Write>> writes_;
  std::set<Clock::TimerId> timers_;
  std::vector<std::function<void()>> drained_;
  std::optional<Id256> excluded_;
  size_t short_bytes_ = 0;  // of reported writes not at their full count
  Stats stats_;
  // Callbacks of the Rpc and the lookups hold it weakly: they may come after we are gone.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace peerstore
