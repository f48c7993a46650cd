#include "dht/aead_frame_filter.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace peerstore {
namespace {

constexpr std::string_view kRekeyLabel = "peerstore/3 record rekey";

Aead::Nonce nonce_for(uint64_t counter) {
  Aead::Nonce n{};
  for (int i = 0; i < 8; ++i) n[size_t(i)] = uint8_t(counter >> (8 * i));
  return n;
}

}  // namespace

AeadFrameFilter::AeadFrameFilter(AeadSuite suite, Secret send_key, Secret receive_key,
                                 uint64_t rekey_bytes)
    : suite_(suite), rekey_bytes_(rekey_bytes == 0 ? kRekeyBytes : rekey_bytes) {
  static_assert(kTagSize <= kMaxOverhead);
  send_.aead = Aead::make(suite, send_key);
  send_.key = std::move(send_key);
  receive_.aead = Aead::make(suite, receive_key);
  receive_.key = std::move(receive_key);
}

void AeadFrameFilter::advance(Direction& d, size_t len) {
  ++d.frames;
  d.bytes += len;
  if (d.bytes < rekey_bytes_) return;
  // next key = BLAKE2b-256 keyed with the current key, over a fixed label: one-way, so the
  // old key cannot be computed back from the new one.
  Secret next(kKeySize);
  crypto_generichash(next.data(), next.size(), reinterpret_cast<const uint8_t*>(kRekeyLabel.data()),
                     kRekeyLabel.size(), d.key.data(), d.key.size());
  d.aead = Aead::make(suite_, next);
  d.key = std::move(next);
  d.bytes = 0;
}

Bytes AeadFrameFilter::seal(Bytes payload) {
  // 2^64 frames is out of reach; wrapping would reuse a nonce, so it stops the process instead.
  if (send_.frames == UINT64_MAX) {
    std::fprintf(stderr, "AeadFrameFilter: frame counter exhausted\n");
    std::abort();
  }
  size_t len = payload.size();
  payload.resize(len + kTagSize);
  send_.aead->seal(payload.data(), len, nonce_for(send_.frames), payload.data() + len);
  advance(send_, len);
  return payload;
}

Result<Bytes> AeadFrameFilter::open(Bytes payload) {
  if (payload.size() < kTagSize) return fail(Errc::corrupt, "encrypted frame shorter than its tag");
  if (receive_.frames == UINT64_MAX) return fail(Errc::corrupt, "frame counter exhausted");
  size_t len = payload.size() - kTagSize;
  if (!receive_.aead->open(payload.data(), len, nonce_for(receive_.frames), payload.data() + len))
    return fail(Errc::corrupt, "frame " + std::to_string(receive_.frames) +
                                   " failed authentication (altered, replayed or out of order)");
  advance(receive_, len);
  payload.resize(len);
  return payload;
}

}  // namespace peerstore
