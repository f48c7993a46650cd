// TcpTransport: the production Transport: messages as length-prefixed frames over libuv TCP,
// one connection per peer pair, reused both ways and dialed on the first send to an address.
// Each connection opens with a Handshake that admits and authenticates the peer (network secret,
// device key; messages then travel sealed) and tells the receiver the peer's listen address, the
// `from` of its messages (on a connection we dialed: the address we dialed, where the answers to
// our requests are expected from); a peer that does not listen (a CLI client) is "client:N",
// which only that connection answers. Bad input, silent or slow peers and idle connections are
// closed one by one while the rest keep serving. Loop thread only, including the destructor (which
// may also run anywhere once close()'s `done` has run); never destroy it inside its receiver.
#pragma once

#include <uv.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dht/peer_credentials.h"
#include "dht/tcp_connection.h"
#include "dht/transport.h"

namespace peerstore {

struct TcpTransportOptions {
  // "ADDR:PORT" to listen on (port 0: any free port, which address() then reports); "" for a
  // client that only dials. This is also the address announced to peers, so it must be one
  // they can reach: a wildcard address (0.0.0.0) is not.
  std::string listen;
  PeerCredentialsPtr credentials;      // required: proven in every handshake
  size_t max_connections = 256;        // further accepts are closed at once
  int64_t hello_timeout_ms = 5000;     // to connect (when dialing) and finish the handshake
  int64_t frame_timeout_ms = 10000;    // from a frame's first byte to its last (slow drip)
  int64_t idle_timeout_ms = 120000;    // with no traffic either way
  size_t max_queued_bytes = 64 << 20;  // per peer, outgoing; send() drops beyond it
};

class TcpTransport final : public Transport, private TcpConnection::Owner {
 public:
  struct Stats {
    uint64_t accepted = 0, dialed = 0, dial_failures = 0, refused = 0;
    uint64_t closed_bad_input = 0, closed_refused = 0, closed_timeout = 0, closed_idle = 0,
             closed_error = 0;
    uint64_t frames_in = 0, frames_out = 0, dropped_sends = 0;
  };

  // Binds and listens (unless options.listen is empty). Errc::invalid for an address that
  // does not parse, Errc::busy when it is in use, both naming the address.
  static Result<std::unique_ptr<TcpTransport>> start(uv_loop_t* loop, TcpTransportOptions options);
  // Closes every handle without waiting; they free themselves later on the loop.
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  // The listen address with its real port, or "" for a client.
  const std::string& address() const override { return address_; }
  // Best effort. Queues while dialing; drops (counted) an empty or oversized message, one to an
  // unknown client or an unparsable address, one past max_queued_bytes, and everything queued
  // for a peer that cannot be reached.
  void send(const std::string& to, Bytes message) override;
  void set_receiver(Receiver receiver) override { receiver_ = std::move(receiver); }
  void set_unreachable_handler(Unreachable handler) override {
    unreachable_handler_ = std::move(handler);
  }

  // Closes the listener and every connection and drops what is queued; send() drops from now
  // on. `done` runs once every handle is closed: from a close callback, or at once if nothing
  // was open. The transport may be destroyed inside `done`.
  void close(std::function<void()> done);

  const Stats& stats() const { return stats_; }
  // Connections not yet closing, in every state.
  size_t connection_count() const;

 private:
  struct Queue {  // messages for a peer being dialed
    std::vector<Bytes> messages;
    size_t bytes = 0;
    std::vector<sockaddr_storage> untried;  // more addresses its name resolved to
  };
  struct Resolve;

  TcpTransport(uv_loop_t* loop, TcpTransportOptions options);
  Status listen();
  TcpConnection::Limits limits() const;
  void dial(const std::string& to);
  void connect(const std::string& to, const sockaddr* addr);
  void try_next(const std::string& to, const std::string& why);
  void unreachable(const std::string& to, const Error& why);
  void send_on(TcpConnection& c, Bytes message);
  void drop(const std::string& to, const std::string& why);
  void accept();
  void finish_close();
  static void on_resolved(uv_getaddrinfo_t* req, int status, addrinfo* res);

  void on_open(TcpConnection& c) override;
  void on_message(TcpConnection& c, ByteView message) override;
  void on_closing(TcpConnection& c, TcpConnection::Why why) override;
  void on_released(TcpConnection& c) override;

  uv_loop_t* loop_;
  TcpTransportOptions opt_;
  std::string address_;
  uv_tcp_t* listener_ = nullptr;  // on the heap: its close callback frees it
  Receiver receiver_;
  Unreachable unreachable_handler_;
  std::unordered_set<TcpConnection*> conns_;              // every connection until released
  std::unordered_map<std::string, TcpConnection*> open_;  // the one send() uses, per peer
  std::unordered_map<std::string, Queue> dialing_;
  std::unordered_set<Resolve*> resolving_;
  uint64_t next_client_ = 1;
  bool closing_ = false;
  std::function<void()> close_done_;
  int64_t last_drop_log_ms_ = -1;
  Stats stats_;
};

}  // namespace peerstore
