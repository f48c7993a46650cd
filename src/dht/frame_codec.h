// FrameCodec: length-prefixed frames on a byte stream (TCP). A frame is a 4-byte big-endian
// payload length, then the payload (one encoded Message). The decoder checks the length against
// its cap as soon as the 4 bytes arrive, before it buffers or allocates for the payload; a zero
// or oversized length, or a stream that ends inside a frame, is Errc::corrupt, after which the
// connection is to be dropped. Fed one read at a time and drained with next() after each, it
// holds at most one capped frame plus one read, and gives large buffers back once they are
// drained. One codec per connection direction; not thread-safe.
#pragma once

#include <array>
#include <optional>

#include "common/bytes.h"
#include "dht/message.h"

namespace peerstore {

class FrameCodec {
 public:
  static constexpr size_t kPrefix = 4;

  explicit FrameCodec(size_t max_payload = kMaxMessageSize) : max_(max_payload) {}

  static Bytes encode(ByteView payload);
  // The length prefix of a payload of `size` bytes (for writers that send it separately).
  static std::array<uint8_t, kPrefix> prefix(size_t size);

  // Appends bytes read from the stream. Ignored once the stream is broken.
  void feed(ByteView data);
  // The next complete payload, nullopt when more bytes are needed, or Errc::corrupt.
  Result<std::optional<Bytes>> next();
  // At end of stream: Errc::corrupt if a frame was cut short.
  Status finish() const;

  size_t buffered() const { return buf_.size() - off_; }
  // Memory held for buffering, for tests of the bounds above.
  size_t capacity() const { return buf_.capacity(); }
  bool broken() const { return broken_; }

  // A drained buffer larger than this is freed rather than kept for the next frame.
  static constexpr size_t kKeepCapacity = 64 * 1024;

 private:
  size_t max_;
  Bytes buf_;
  size_t off_ = 0;
  bool broken_ = false;
};

}  // namespace peerstore
