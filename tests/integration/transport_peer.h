// TransportPeer: a TcpTransport on its own LoopThread, with a thread-safe inbox of what it
// received, so tests can drive it from the test thread. eventually(): polling with a deadline.
// Thread-safe, except transport(), which belongs to the loop thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "dht/loop_thread.h"
#include "dht/tcp_transport.h"

namespace peerstore::test {

// Checks `pred` every 5 ms until it holds or `timeout_ms` passes; returns whether it held.
bool eventually(const std::function<bool()>& pred, int64_t timeout_ms = 5000);

struct Received {
  std::string from;
  std::optional<Id256> proven_id;  // the sender's ring id, as its handshake proved it
  Bytes message;
};

class TransportPeer {
 public:
  // Runs on the loop thread after a message is added to the inbox (e.g. to answer it).
  using OnReceive = std::function<void(TcpTransport& t, const std::string& from, ByteView m)>;

  // FAILs the test if the transport does not start. Without credentials in `options`, a new
  // device of the tests' default network (test_credentials()).
  static std::unique_ptr<TransportPeer> start(TcpTransportOptions options,
                                              OnReceive on_receive = {});
  ~TransportPeer();

  const std::string& address() const { return address_; }
  uint16_t port() const;
  LoopThread& loop() { return *loop_; }
  TcpTransport& transport() { return *transport_; }

  void send(const std::string& to, Bytes message);
  TcpTransport::Stats stats();
  size_t connections();
  std::vector<Received> inbox();
  size_t inbox_size();

 private:
  TransportPeer() = default;

  std::unique_ptr<LoopThread> loop_;
  std::unique_ptr<TcpTransport> transport_;  // created and destroyed on the loop
  std::string address_;
  OnReceive on_receive_;
  std::mutex mu_;
  std::vector<Received> inbox_;  // guarded by mu_
};

}  // namespace peerstore::test
