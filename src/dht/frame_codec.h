// FrameCodec: length-prefixed frames on a byte stream (TCP). A frame is a 4-byte big-endian
// payload length, then the payload (one encoded Message). The decoder checks the length against
// its cap as soon as the 4 bytes arrive, before it buffers or allocates for the payload; a zero
// or oversized length, or a stream that ends inside a frame, is Errc::corrupt, after which the
// connection is to be dropped. One codec per connection direction; not thread-safe.
#pragma once

#include <optional>

#include "common/bytes.h"
#include "dht/message.h"

namespace peerstore {

class FrameCodec {
 public:
  static constexpr size_t kPrefix = 4;

  explicit FrameCodec(size_t max_payload = kMaxMessageSize) : max_(max_payload) {}

  static Bytes encode(ByteView payload);

  // Appends bytes read from the stream. Ignored once the stream is broken.
  void feed(ByteView data);
  // The next complete payload, nullopt when more bytes are needed, or Errc::corrupt.
  Result<std::optional<Bytes>> next();
  // At end of stream: Errc::corrupt if a frame was cut short.
  Status finish() const;

  size_t buffered() const { return buf_.size() - off_; }
  bool broken() const { return broken_; }

 private:
  size_t max_;
  Bytes buf_;
  size_t off_ = 0;
  bool broken_ = false;
};

}  // namespace peerstore
