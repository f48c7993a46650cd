#include "dht/frame_codec.h"

namespace peerstore {

Bytes FrameCodec::encode(ByteView payload) {
  Bytes out(kPrefix + payload.size());
  uint32_t n = uint32_t(payload.size());
  out[0] = uint8_t(n >> 24);
  out[1] = uint8_t(n >> 16);
  out[2] = uint8_t(n >> 8);
  out[3] = uint8_t(n);
  std::copy(payload.begin(), payload.end(), out.begin() + kPrefix);
  return out;
}

void FrameCodec::feed(ByteView data) {
  if (broken_ || data.empty()) return;
  // Before growing the buffer, refuse a prefix over the cap (the buffer never holds more than
  // one capped frame plus what one read() returned).
  if (off_ > 0 && off_ * 2 >= buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + off_);
    off_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

Result<std::optional<Bytes>> FrameCodec::next() {
  if (broken_) return fail(Errc::corrupt, "frame stream already broken");
  size_t avail = buf_.size() - off_;
  if (avail < kPrefix) return std::optional<Bytes>{};
  const uint8_t* p = buf_.data() + off_;
  uint32_t n = uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
  if (n == 0 || n > max_) {
    broken_ = true;
    buf_.clear();
    off_ = 0;
    return fail(Errc::corrupt,
                "frame length " + std::to_string(n) + " outside 1.." + std::to_string(max_));
  }
  if (avail - kPrefix < n) return std::optional<Bytes>{};
  Bytes out(p + kPrefix, p + kPrefix + n);
  off_ += kPrefix + n;
  if (off_ == buf_.size()) {
    buf_.clear();
    off_ = 0;
  }
  return std::optional<Bytes>(std::move(out));
}

Status FrameCodec::finish() const {
  if (broken_) return fail(Errc::corrupt, "frame stream broken");
  if (buffered() != 0)
    return fail(Errc::corrupt,
                "stream ended inside a frame (" + std::to_string(buffered()) + " bytes left)");
  return {};
}

}  // namespace peerstore
