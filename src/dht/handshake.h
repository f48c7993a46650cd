// Handshake: the first frames of a TCP connection, which tell each side who the other is.
// Today both sides send, at once and in any order, one plaintext hello
//   msgpack ["peerstore-hello", 1, listen_addr]
// where listen_addr is HOST:PORT, or empty for a client that does not listen. The next protocol
// replaces it with an authenticated X25519 exchange (DESIGN §6) whose outcome also carries a
// FrameFilter that seals and opens every later frame; the connection code already runs every
// frame through it. Not thread-safe; one per connection.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace peerstore {

// Names a TcpTransport gives peers that do not listen; never valid in a hello.
inline constexpr std::string_view kClientAddressPrefix = "client:";

// Transforms frame payloads once the handshake is done (per-direction AEAD, next).
class FrameFilter {
 public:
  virtual ~FrameFilter() = default;
  virtual Bytes seal(Bytes payload) = 0;
  // Errc::corrupt if the payload was not sealed by the peer.
  virtual Result<Bytes> open(Bytes payload) = 0;
};

class Handshake {
 public:
  struct Outcome {
    std::string peer_listen;              // "" for a client
    std::unique_ptr<FrameFilter> filter;  // null: payloads travel as they are
  };
  struct Step {
    std::vector<Bytes> reply;     // frames to send now
    std::optional<Outcome> done;  // set when the handshake is complete
  };

  static constexpr uint64_t kVersion = 1;

  explicit Handshake(std::string own_listen) : own_listen_(std::move(own_listen)) {}

  // The frame to send as soon as the connection is up.
  Bytes first_frame() const;
  // A frame from the peer; Errc::corrupt if it is not a valid hello.
  Result<Step> receive(ByteView frame);

 private:
  std::string own_listen_;
};

}  // namespace peerstore
