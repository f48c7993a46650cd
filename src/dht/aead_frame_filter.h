// AeadFrameFilter: the record layer of an authenticated connection. Every frame payload is
// sealed with ChaCha20-Poly1305 (IETF) under this direction's key, with the frame's sequence
// number as the nonce. The number is never sent: both sides count, so a frame that is replayed,
// dropped, reordered or altered fails to open, and the connection is then closed. Keys come
// from the handshake (one per direction) and live in wiped memory. Not thread-safe; one per
// connection.
#pragma once

#include "common/secret.h"
#include "dht/handshake.h"

namespace peerstore {

class AeadFrameFilter final : public FrameFilter {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kTagSize = 16;

  AeadFrameFilter(Secret send_key, Secret receive_key);

  // Encrypts in place and appends the tag: no copy of the payload.
  Bytes seal(Bytes payload) override;
  Result<Bytes> open(Bytes payload) override;

 private:
  Secret send_key_, receive_key_;
  uint64_t sent_ = 0, received_ = 0;
};

}  // namespace peerstore
