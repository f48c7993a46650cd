// AeadFrameFilter: the record layer of an authenticated connection. Every frame payload is
// sealed with the AEAD the handshake chose (keys/aead.h: AES-256-GCM where both peers have it in
// hardware, else ChaCha20-Poly1305) under this direction's key, with the frame's sequence
// number as the nonce. The number is never sent: both sides count, so a frame that is replayed,
// dropped, reordered or altered fails to open, and the connection is then closed.
// Each direction's key is replaced after every kRekeyBytes of payload by a one-way function of
// itself, at the same frame on both sides (both count the same payload bytes): this bounds what
// one AES-GCM key ever seals far below its safety limit, and a key taken from memory later does
// not open what went before. Keys come from the handshake (one per direction) and live in
// wiped memory. Not thread-safe; one per connection.
#pragma once

#include "common/secret.h"
#include "dht/handshake.h"
#include "keys/aead.h"

namespace peerstore {

class AeadFrameFilter final : public FrameFilter {
 public:
  static constexpr size_t kKeySize = Aead::kKeySize;
  static constexpr size_t kTagSize = Aead::kTagSize;
  // 2^36 bytes (64 GiB) = 2^32 AES blocks per key: an attacker's advantage against AES-GCM's
  // confidentiality stays near 2^-64.
  static constexpr uint64_t kRekeyBytes = uint64_t(1) << 36;

  AeadFrameFilter(AeadSuite suite, Secret send_key, Secret receive_key,
                  uint64_t rekey_bytes = kRekeyBytes);

  AeadSuite suite() const { return suite_; }
  // Encrypts in place and appends the tag: no copy of the payload.
  Bytes seal(Bytes payload) override;
  Result<Bytes> open(Bytes payload) override;

 private:
  struct Direction {
    Secret key;
    std::unique_ptr<Aead> aead;
    uint64_t frames = 0;
    uint64_t bytes = 0;  // payload under the current key
  };
  // Counts a frame of `len` bytes through `d`, and moves `d` to its next key at the limit.
  void advance(Direction& d, size_t len);

  AeadSuite suite_;
  uint64_t rekey_bytes_;
  Direction send_, receive_;
};

}  // namespace peerstore
