#include "dht/aead_frame_filter.h"

#include <sodium.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace peerstore {
namespace {

using Nonce = std::array<uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES>;

Nonce nonce_for(uint64_t counter) {
  Nonce n{};
  for (int i = 0; i < 8; ++i) n[size_t(i)] = uint8_t(counter >> (8 * i));
  return n;
}

}  // namespace

AeadFrameFilter::AeadFrameFilter(Secret send_key, Secret receive_key)
    : send_key_(std::move(send_key)), receive_key_(std::move(receive_key)) {
  static_assert(kKeySize == crypto_aead_chacha20poly1305_IETF_KEYBYTES);
  static_assert(kTagSize == crypto_aead_chacha20poly1305_IETF_ABYTES);
  static_assert(kTagSize <= kMaxOverhead);
}

Bytes AeadFrameFilter::seal(Bytes payload) {
  // 2^64 frames is out of reach; wrapping would reuse a nonce, so it stops the process instead.
  if (sent_ == UINT64_MAX) {
    std::fprintf(stderr, "AeadFrameFilter: frame counter exhausted\n");
    std::abort();
  }
  Nonce n = nonce_for(sent_++);
  size_t len = payload.size();
  payload.resize(len + kTagSize);
  crypto_aead_chacha20poly1305_ietf_encrypt_detached(payload.data(), payload.data() + len, nullptr,
                                                     payload.data(), len, nullptr, 0, nullptr,
                                                     n.data(), send_key_.data());
  return payload;
}

Result<Bytes> AeadFrameFilter::open(Bytes payload) {
  if (payload.size() < kTagSize) return fail(Errc::corrupt, "encrypted frame shorter than its tag");
  if (received_ == UINT64_MAX) return fail(Errc::corrupt, "frame counter exhausted");
  Nonce n = nonce_for(received_);
  size_t len = payload.size() - kTagSize;
  if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(payload.data(), nullptr, payload.data(),
                                                         len, payload.data() + len, nullptr, 0,
                                                         n.data(), receive_key_.data()) != 0)
    return fail(Errc::corrupt, "frame " + std::to_string(received_) +
                                   " failed authentication (altered, replayed or out of order)");
  ++received_;
  payload.resize(len);
  return payload;
}

}  // namespace peerstore
