// Aead: authenticated encryption under one key with 96-bit nonces, for the transport's record
// layer (dht/aead_frame_filter.h): ChaCha20-Poly1305 (IETF, libsodium) everywhere, or
// AES-256-GCM (OpenSSL 3) where the CPU has AES and carry-less multiply instructions, where it
// is 2–4 times faster. Both seal and open in place with the 16-byte tag kept apart, so a frame
// is never copied. The AES key schedule is computed once per key, not per message. The caller
// owns nonce uniqueness: a key must never seal two messages under one nonce. Key material lives
// in wiped memory (Secret, OpenSSL's cleansing free). Not thread-safe; one per key and thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "common/secret.h"

namespace peerstore {

enum class AeadSuite : uint8_t { chacha20_poly1305 = 0, aes256_gcm = 1 };
const char* aead_suite_name(AeadSuite suite);

// True where AES-256-GCM runs on dedicated instructions (x86-64: AES-NI and PCLMULQDQ; other
// architectures: assumed, OpenSSL picks the ARMv8 crypto extensions where present).
bool aes_gcm_in_hardware();

class Aead {
 public:
  static constexpr size_t kKeySize = 32;
  static constexpr size_t kNonceSize = 12;
  static constexpr size_t kTagSize = 16;
  using Nonce = std::array<uint8_t, kNonceSize>;

  // `key` must be kKeySize bytes; the Aead keeps its own copy (or key schedule).
  static std::unique_ptr<Aead> make(AeadSuite suite, const Secret& key);

  virtual ~Aead() = default;
  virtual AeadSuite suite() const = 0;
  // Encrypts data[0, len) in place and writes the tag to tag[kTagSize].
  virtual void seal(uint8_t* data, size_t len, const Nonce& nonce, uint8_t* tag) = 0;
  // Decrypts data[0, len) in place if `tag` authenticates it; false (data unspecified)
  // otherwise.
  [[nodiscard]] virtual bool open(uint8_t* data, size_t len, const Nonce& nonce,
                                  const uint8_t* tag) = 0;
};

}  // namespace peerstore
