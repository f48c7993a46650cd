// Lookup: one iterative Chord lookup of a key's successors. It asks the known node closest
// before the key, which answers with the key's successors (done) or with nodes closer to the
// key, and repeats; a hop that times out is retried on the next closest candidate, and when the
// candidates run out the lookup starts over (a bounded number of times; the last start asks
// again the nodes that only timed out, never one proven to lie in this lookup). With seeds it
// starts from those nodes only (joining, or probing another ring after a partition) instead of
// this node's routing table. Keeps itself alive through its pending call. Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>

#include "dht/chord_config.h"
#include "dht/routing_table.h"
#include "dht/rpc.h"

namespace peerstore {

class Lookup : public std::enable_shared_from_this<Lookup> {
 public:
  struct Outcome {
    std::vector<NodeRef> successors;  // the key's successor first
    unsigned hops = 0;                // find requests sent, timed-out ones included
    unsigned timeouts = 0;
  };
  using Done = std::function<void(Result<Outcome>)>;

  // `seeds` may carry an empty id when only the address is known (a bootstrap address).
  static void start(Rpc& rpc, RoutingTable& routing, Clock& clock, const ChordConfig& cfg,
                    const Id256& key, std::vector<NodeRef> seeds, Done done);

  Lookup(Rpc& rpc, RoutingTable& routing, Clock& clock, const ChordConfig& cfg, const Id256& key,
         std::vector<NodeRef> seeds, Done done);

 private:
  struct Candidate {
    NodeRef node;
    bool seed = false;  // id unknown or not to be checked for progress
    bool asked = false;
  };
  void fill();
  void add(const NodeRef& n, bool seed);
  void step();
  void on_answer(size_t idx, Result<Message> r);
  // Finishes with `successors` (candidate idx's answer) once their first one proves itself.
  // Pings successors[at] (then the next entries, up to kMaxVerified) before taking the list.
  void verify(size_t idx, std::vector<NodeRef> successors, size_t at = 0);
  static constexpr size_t kMaxVerified = 4;
  static constexpr unsigned kVerifyAttempts = 3;  // pings of one entry before it counts as absent
  void finish(Result<Outcome> r);

  Rpc& rpc_;
  RoutingTable& routing_;
  Clock& clock_;
  const ChordConfig& cfg_;
  Id256 key_;
  std::vector<NodeRef> seeds_;
  Done done_;
  std::vector<Candidate> cands_;
  std::set<std::string> failed_;    // addresses that did not answer during this lookup
  std::set<std::string> liars_;     // addresses whose answers were proven wrong in this lookup
  std::vector<NodeRef> timed_out_;  // asked again by the last restart
  Outcome out_;
  unsigned attempt_ = 0;
  std::string last_error_;
  std::optional<Error> refused_;  // a handshake that refused us, if any did
};

}  // namespace peerstore
