// Transport: how a Chord node exchanges messages with other nodes. It sends whole encoded
// messages to an address and hands received ones to one receiver callback, best effort: a
// message may be lost, and the caller's timeouts deal with it; the messages of one sender to one
// address that do arrive, arrive in the order sent. Addresses are the listen addresses nodes
// announce ("127.0.0.1:3000", or a simulator name); a receiver is told the sender's listen
// address (where answers go) and, where the transport authenticates peers, the ring id the
// sender proved in the handshake (the TCP transport; the simulator proves nothing). Once a
// transport is gone (the TCP one closed), messages to its address are dropped. Production uses
// libuv TCP with FrameCodec; tests use SimTransport (tests/support/); conformance suite:
// tests/integration/transport_conformance_test.cc. Loop thread only: send() and the receiver
// run on the node's loop thread, and send() never calls the receiver synchronously.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

class Transport {
 public:
  // `message` is valid only during the call.
  using Receiver = std::function<void(const std::string& from,
                                      const std::optional<Id256>& proven_id, ByteView message)>;

  virtual ~Transport() = default;
  virtual const std::string& address() const = 0;
  virtual void send(const std::string& to, Bytes message) = 0;
  virtual void set_receiver(Receiver receiver) = 0;
  // Told that messages to `to` were dropped because no connection to it could be made (nothing
  // listens there, no address works, or the handshake refused us: `why` says which), possibly
  // from inside send(). Lets callers fail at once instead of waiting for their timeouts;
  // transports that cannot tell never call it.
  using Unreachable = std::function<void(const std::string& to, const Error& why)>;
  virtual void set_unreachable_handler(Unreachable handler) { (void)handler; }
};

}  // namespace peerstore
