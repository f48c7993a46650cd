// RawConnection: a plain TCP connection to a node (no handshake, no framing), for feeding it
// bytes it must survive. Sends never raise SIGPIPE; every call is bounded in time. Not
// thread-safe; one owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace peerstore::test {

class RawConnection {
 public:
  // Connects to "HOST:PORT" (IPv4 literal), waiting up to `timeout`. connected() says whether
  // it worked; error() why not.
  RawConnection(const std::string& address, std::chrono::milliseconds timeout);
  ~RawConnection();
  RawConnection(RawConnection&& other) noexcept;
  RawConnection& operator=(RawConnection&&) = delete;
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool connected() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }

  // Sends as much of `bytes` as the peer takes within `timeout`; returns how much that was. A
  // peer that closes or resets stops it early, which is not an error here.
  size_t send(std::string_view bytes, std::chrono::milliseconds timeout);
  // True once the peer has closed or reset the connection, reading and dropping whatever it
  // sends meanwhile (e.g. its own hello); false if it is still open after `timeout`.
  bool closed_by_peer(std::chrono::milliseconds timeout);
  void close();

 private:
  int fd_ = -1;
  bool peer_closed_ = false;
  std::string error_;
};

// A 4-byte big-endian length prefix.
std::string length_prefix(uint32_t n);

}  // namespace peerstore::test
