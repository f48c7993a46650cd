// Rpc: request/response calls over a Transport. Numbers each request, matches a response by
// its request id and the address the request went to, and enforces a timeout on every call.
// Every incoming message is decoded here; undecodable ones (Errc::corrupt) are counted and
// dropped, never passed on. Calls to the node's own address are looped back locally (through a
// zero-delay timer, never synchronously). Loop thread only.
#pragma once

#include <functional>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "dht/clock.h"
#include "dht/message.h"
#include "dht/rpc_traffic.h"
#include "dht/transport.h"

namespace peerstore {

class Rpc {
 public:
  // The response, the Error an `error` response carried, or Errc::timeout.
  using Reply = std::function<void(Result<Message>)>;
  using Handler = std::function<void(const std::string& from, Message request)>;

  struct Stats {
    uint64_t calls = 0, responses = 0, timeouts = 0, retries = 0, corrupt = 0, stray = 0,
             requests = 0, unreachable = 0;
    uint64_t impostor = 0;  // sender id other than the one the connection proved
  };

  Rpc(Transport& transport, Clock& clock, NodeRef self);
  // Pending calls are dropped: their callbacks never run.
  ~Rpc();
  Rpc(const Rpc&) = delete;
  Rpc& operator=(const Rpc&) = delete;

  const NodeRef& self() const { return self_; }
  void set_handler(Handler handler) { handler_ = std::move(handler); }
  // Sees the sender of every decoded message (requests and matched responses) before dispatch.
  using Observer =
      std::function<void(const std::string& from, const NodeRef& sender, bool response)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }
  // Runs `cb` exactly once (unless the Rpc is destroyed or drop_all() is called first). With
  // attempts > 1 a call that times out is sent again (for idempotent requests on lossy links);
  // each attempt has the full timeout.
  void call(const std::string& to, Body request, int64_t timeout_ms, Reply cb,
            unsigned attempts = 1);
  // The same for a request sent to several peers or sent again: its body is never copied.
  void call(const std::string& to, std::shared_ptr<const Body> request, int64_t timeout_ms,
            Reply cb, unsigned attempts = 1);
  void respond(const std::string& to, uint64_t request_id, Body response);
  // Runs fn from a zero-delay timer (never synchronously); dropped with the Rpc, so helpers
  // that must not answer synchronously can use it without outliving their node.
  void defer(std::function<void()> fn);
  // Drops every pending call and deferred function without running it.
  void drop_all();

  size_t pending() const { return pending_.size(); }
  const Stats& stats() const { return stats_; }
  RpcTraffic traffic() const;

 private:
  struct Pending {
    std::string to;
    Clock::TimerId timer = 0;
    Reply cb;
    int64_t sent_ms = 0;
  };
  void on_bytes(const std::string& from, const std::optional<Id256>& proven_id, ByteView bytes);
  void on_message(const std::string& from, Message m);
  void send(const std::string& to, Message m);
  void call_once(const std::string& to, const std::shared_ptr<const Body>& request,
                 int64_t timeout_ms, Reply cb);
  void fail_calls_to(const std::string& to, const Error& why);

  Transport& transport_;
  Clock& clock_;
  NodeRef self_;
  Handler handler_;
  Observer observer_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Pending> pending_;
  uint64_t next_deferred_ = 1;
  std::unordered_map<uint64_t, Clock::TimerId> deferred_;
  Stats stats_;
  // For traffic(): by message type, bytes, and how long answers took.
  std::array<uint64_t, kMessageTypes> served_{}, called_{};
  uint64_t bytes_in_ = 0, bytes_out_ = 0;
  LatencyHistogram latency_;
};

}  // namespace peerstore
