#include "dht/frame_codec.h"

namespace peerstore {

std::array<uint8_t, FrameCodec::kPrefix> FrameCodec::prefix(size_t size) {
  uint32_t n = uint32_t(size);
  return {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)};
}

Bytes FrameCodec::encode(ByteView payload) {
  Bytes out(kPrefix + payload.size());
  auto p = prefix(payload.size());
  std::copy(p.begin(), p.end(), out.begin());
  std::copy(payload.begin(), payload.end(), out.begin() + kPrefix);
  return out;
}

void FrameCodec::feed(ByteView data) {
  if (broken_ || data.empty()) return;
  // Drop what next() consumed before growing the buffer. The cap itself is checked by next(),
  // which the caller runs after every feed, so this holds at most one read past a frame.
  if (off_ > 0 && off_ * 2 >= buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + off_);
    off_ = 0;
  }
  // Exact growth: next() already sized the buffer for the frame in progress, so this only grows
  // for the read that runs past it, where doubling would cost up to another cap.
  if (buf_.size() + data.size() > buf_.capacity()) buf_.reserve(buf_.size() + data.size());
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
    buf_ = Bytes();
    off_ = 0;
    return fail(Errc::corrupt,
                "frame length " + std::to_string(n) + " outside 1.." + std::to_string(max_));
  }
  if (avail - kPrefix < n) {
    // The length is within the cap: room for exactly this frame, rather than letting the
    // buffer double its way up to twice the cap.
    if (off_ > 0) {
      buf_.erase(buf_.begin(), buf_.begin() + off_);
      off_ = 0;
    }
    buf_.reserve(kPrefix + n);
    return std::optional<Bytes>{};
  }
  Bytes out(p + kPrefix, p + kPrefix + n);
  off_ += kPrefix + n;
  if (off_ == buf_.size()) {
    if (buf_.capacity() > kKeepCapacity)
      buf_ = Bytes();
    else
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
