// RawSocket: a plain blocking POSIX TCP client for feeding a transport bytes no well-behaved
// peer would send. Not thread-safe.
#pragma once

#include <cstdint>

#include "common/bytes.h"

namespace peerstore::test {

class RawSocket {
 public:
  explicit RawSocket(uint16_t port);  // connects to 127.0.0.1:port; FAILs the test if it cannot
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  // False once the other side has closed.
  bool write(ByteView bytes);
  void shutdown_write();
  // Reads and discards (the transport's hello) until the other side closes the connection (EOF
  // or reset), or `timeout_ms` passes; returns whether it closed.
  bool closed_within(int64_t timeout_ms);

 private:
  int fd_ = -1;
};

// A frame holding a hello that announces `listen` ("" for a client).
Bytes hello_frame(const std::string& listen = "");

}  // namespace peerstore::test
