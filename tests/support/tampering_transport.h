// TamperingTransport: tests only. A Transport wrapper that makes the node behind it a malicious
// peer: it forwards to the real transport and, depending on its Misbehaviour, alters the blocks
// it serves, forges or rolls back the record sets (heads, inboxes) it serves and pushes, lies
// about the ring in every
// neighbors and found answer, or stops answering once armed. The node itself stays honest about
// who it is (the message sender), as the authenticated transport will force it to be; get_status
// and status pass untouched so the harness can still see the node. Loop thread only, like the
// transport it wraps, except arm(), which any thread may call.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "dht/message.h"
#include "dht/transport.h"

namespace peerstore::test {

enum class Misbehaviour { alter_blocks, forge_heads, rollback_heads, wrong_successors, drop_all };

// "alter-blocks", "forge-heads", "rollback-heads", "wrong-successors", "drop-all".
Result<Misbehaviour> parse_misbehaviour(std::string_view name);

class TamperingTransport final : public Transport {
 public:
  struct Stats {
    uint64_t altered = 0, forged = 0, rolled_back = 0, lies = 0, dropped = 0, pushed = 0;
  };

  // `inner` must outlive the wrapper. `seed` drives the bogus ids.
  TamperingTransport(Transport& inner, Misbehaviour mode, uint64_t seed);
  ~TamperingTransport() override;

  // drop-all misbehaves only once armed (after the node joined): a node that never joins is
  // just a dead node.
  void arm() { armed_ = true; }
  const Stats& stats() const { return stats_; }

  const std::string& address() const override { return inner_.address(); }
  void send(const std::string& to, Bytes message) override;
  void set_receiver(Receiver receiver) override;
  void set_unreachable_handler(Unreachable handler) override {
    inner_.set_unreachable_handler(std::move(handler));
  }

 private:
  void received(const std::string& from, const std::optional<Id256>& proven_id, ByteView bytes);
  // Logs the first misdeed of each kind, so a test can tell from the log that it happened.
  void first(uint64_t& counter, const std::string& what);
  // Each returns false to drop the message.
  bool tamper_outgoing(const std::string& to, Message& m);
  void alter(Bytes& block);
  // A record (a head or a grant) changed to look newer than every real one; its signature no
  // longer verifies.
  Bytes forge(ByteView record);
  // `count` bogus nodes right after (or before) `around`.
  std::vector<NodeRef> lies(const NodeRef& around, size_t count, bool after);
  using RecordKey = std::pair<KeyKind, Id256>;  // kind, owner
  void remember(const RecordKey& rk, const std::vector<Bytes>& records);
  void push(const RecordKey& rk, std::vector<Bytes> records);
  // What a records request we sent, or a records body we received, is about.
  void note_records_seen(const Body& body);

  Transport& inner_;
  Misbehaviour mode_;
  std::mt19937_64 rng_;
  std::atomic<bool> armed_ = false;
  Receiver receiver_;
  NodeRef self_;                                        // learnt from the first message we send
  std::set<std::string> peers_;                         // everyone we talked to
  std::map<RecordKey, std::vector<Bytes>> first_seen_;  // rollback: the first set seen per owner
  // What the requests we are about to answer asked for, by (asker, request id).
  std::map<std::pair<std::string, uint64_t>, Id256> finds_;
  std::map<std::pair<std::string, uint64_t>, RecordKey> records_asked_;
  unsigned lie_kind_ = 0;
  Stats stats_;
};

}  // namespace peerstore::test
