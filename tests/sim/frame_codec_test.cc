// Frames: length-prefixed payloads survive any split of the stream; a length over the cap (or
// zero) is refused as soon as its 4 bytes arrive, before anything is buffered for it; memory
// stays within one frame plus one read and large buffers are given back; a stream that ends
// inside a frame is corrupt; and random streams never crash the decoder.
#include "dht/frame_codec.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "dht/message.h"
#include "sim_seed.h"

namespace peerstore {
namespace {

TEST_CASE("frames: round trip through any split of the stream") {
  std::mt19937_64 rng(sim::seed_or(3));
  std::vector<Bytes> payloads;
  Bytes stream;
  for (int i = 0; i < 50; ++i) {
    Bytes p(1 + rng() % 3000);
    for (auto& x : p) x = uint8_t(rng());
    Bytes f = FrameCodec::encode(p);
    CHECK(f.size() == p.size() + 4);
    stream.insert(stream.end(), f.begin(), f.end());
    payloads.push_back(std::move(p));
  }
  for (int round = 0; round < 3; ++round) {
    FrameCodec dec;
    std::vector<Bytes> got;
    size_t pos = 0;
    while (pos < stream.size()) {
      size_t n = round == 0 ? 1 : 1 + rng() % (round == 1 ? 7 : 5000);
      n = std::min(n, stream.size() - pos);
      dec.feed(ByteView(stream.data() + pos, n));
      pos += n;
      for (;;) {
        auto r = dec.next();
        REQUIRE(r.ok());
        if (!*r) break;
        got.push_back(std::move(**r));
      }
    }
    CHECK(got == payloads);
    CHECK(dec.finish().ok());
  }
}

TEST_CASE("frames: the length cap is checked before buffering the payload") {
  FrameCodec dec(1000);
  Bytes prefix{0x00, 0x00, 0x03, 0xe9};  // 1001
  dec.feed(prefix);
  auto r = dec.next();
  REQUIRE_FALSE(r.ok());
  CHECK(r.code() == Errc::corrupt);
  CHECK(dec.broken());
  CHECK(dec.buffered() == 0);
  // Anything after is ignored; the stream is dead.
  dec.feed(Bytes(100, 0));
  CHECK(dec.buffered() == 0);
  CHECK(dec.next().code() == Errc::corrupt);

  FrameCodec huge;  // default cap: the largest message
  huge.feed(Bytes{0xff, 0xff, 0xff, 0xff});
  CHECK(huge.next().code() == Errc::corrupt);

  FrameCodec zero;
  zero.feed(Bytes{0, 0, 0, 0});
  CHECK(zero.next().code() == Errc::corrupt);

  FrameCodec at_cap(1000);
  at_cap.feed(FrameCodec::encode(Bytes(1000, 1)));
  auto ok = at_cap.next();
  REQUIRE(ok.ok());
  REQUIRE(ok->has_value());
  CHECK((*ok)->size() == 1000);
}

TEST_CASE("frames: memory stays within one frame plus one read, and large buffers are freed") {
  CHECK(FrameCodec::prefix(0x01020304) == std::array<uint8_t, 4>{1, 2, 3, 4});
  Bytes big(kMaxMessageSize, 5), small(10, 6);
  Bytes stream = FrameCodec::encode(big);
  for (const Bytes& f : {FrameCodec::encode(small), FrameCodec::encode(big)})
    stream.insert(stream.end(), f.begin(), f.end());
  FrameCodec dec;
  const size_t read = 64 * 1024;
  size_t most = 0, frames = 0;
  for (size_t pos = 0; pos < stream.size(); pos += read) {
    dec.feed(ByteView(stream.data() + pos, std::min(read, stream.size() - pos)));
    most = std::max(most, dec.capacity());
    for (;;) {
      auto r = dec.next();
      REQUIRE(r.ok());
      if (!*r) break;
      CHECK(**r == (frames == 1 ? small : big));
      ++frames;
    }
    most = std::max(most, dec.capacity());
  }
  CHECK(frames == 3);
  // Without sizing the buffer from the (checked) length, growth by doubling would reach twice
  // the cap.
  CHECK(most <= FrameCodec::kPrefix + kMaxMessageSize + read);
  CHECK(dec.capacity() <= FrameCodec::kKeepCapacity);
  CHECK(dec.finish().ok());
}

TEST_CASE("frames: a stream cut inside a frame is corrupt") {
  Bytes f = FrameCodec::encode(Bytes(10, 9));
  for (size_t cut = 1; cut < f.size(); ++cut) {
    FrameCodec dec;
    dec.feed(ByteView(f.data(), cut));
    auto r = dec.next();
    REQUIRE(r.ok());
    CHECK_FALSE(r->has_value());
    CHECK(dec.finish().code() == Errc::corrupt);
  }
}

TEST_CASE(
    "frames fuzz: random streams decode to frames or corrupt, and frames to messages or corrupt") {
  uint64_t seed = sim::seed_or(4);
  INFO("seed " << seed << " (set PEERSTORE_SIM_SEED to replay)");
  std::mt19937_64 rng(seed);
  size_t frames = 0, broken = 0;
  for (int k = 0; k < 2000; ++k) {
    FrameCodec dec(4096);
    Bytes s(rng() % 600);
    for (auto& x : s) x = uint8_t(rng());
    // Sometimes plausible lengths, to reach the payload path.
    if (s.size() >= 4 && k % 2) {
      s[0] = 0;
      s[1] = 0;
      s[2] = uint8_t(rng() % 2);
    }
    size_t pos = 0;
    while (pos < s.size() && !dec.broken()) {
      size_t n = std::min<size_t>(1 + rng() % 64, s.size() - pos);
      dec.feed(ByteView(s.data() + pos, n));
      pos += n;
      for (;;) {
        auto r = dec.next();
        if (!r) {
          CHECK(r.code() == Errc::corrupt);
          ++broken;
          break;
        }
        if (!*r) break;
        ++frames;
        auto m = Message::decode(**r);
        if (!m) CHECK(m.code() == Errc::corrupt);
      }
    }
  }
  MESSAGE("frame fuzz: " << frames << " frames, " << broken << " broken streams");
  CHECK(broken > 0);
}

}  // namespace
}  // namespace peerstore
