// RawSocket: a plain blocking POSIX TCP client for feeding a transport bytes no well-behaved
// peer would send. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "dht/handshake.h"

namespace peerstore::test {

class RawSocket {
 public:
  explicit RawSocket(uint16_t port);  // connects to 127.0.0.1:port; FAILs the test if it cannot
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  int fd() const { return fd_; }
  // Runs the handshake as the dialing side; FAILs the test if it does not complete.
  std::unique_ptr<FrameFilter> handshake(PeerCredentialsPtr credentials,
                                         const std::string& listen = "");
  // False once the other side has closed.
  bool write(ByteView bytes);
  void shutdown_write();
  // Reads and discards (the transport's hello) until the other side closes the connection (EOF
  // or reset), or `timeout_ms` passes; returns whether it closed.
  bool closed_within(int64_t timeout_ms);

 private:
  int fd_ = -1;
};

// A frame holding a hello (its ephemeral key is fresh and thrown away).
Bytes hello_frame();

// Runs a whole handshake on a blocking socket, as either side, within 5 s.
Result<Handshake::Outcome> raw_handshake(int fd, PeerCredentialsPtr credentials, bool dialer,
                                         const std::string& listen);

}  // namespace peerstore::test
