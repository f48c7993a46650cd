// Fuzz target: FrameCodec, the length-prefixed frames of a TCP stream, fed in arbitrary chunks.
// Input: a cap byte (0: the real cap, kMaxMessageSize; else a cap of that many bytes), then
// reads, each a 2-byte big-endian length (taken modulo 4097) and that many stream bytes.
// Checks that the frames it yields re-frame to exactly the bytes it consumed, that it keeps no
// more memory than one capped frame plus the largest read, and that a break is final.
#include "dht/frame_codec.h"
#include "dht/message.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace {

constexpr size_t kMaxRead = 4096;

// One read of the input format.
void add_read(Bytes& in, ByteView chunk) {
  in.push_back(uint8_t(chunk.size() >> 8));
  in.push_back(uint8_t(chunk.size()));
  in.insert(in.end(), chunk.begin(), chunk.end());
}

}  // namespace

namespace peerstore::fuzz {
// Streams of real messages cut into reads of several sizes, at the real cap and a small one.
void make_seeds(Seeds& seeds) {
  NodeRef me{Id256{}, "127.0.0.1:3000"};
  Bytes stream;
  for (uint64_t i = 0; i < 4; ++i) {
    Bytes payload = Message{i, me, msg::Find{}}.encode();
    Bytes f = FrameCodec::encode(payload);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (size_t read : {1, 3, 7, 64, 1000}) {
    Bytes in{0};
    for (size_t off = 0; off < stream.size(); off += read)
      add_read(in, ByteView(stream).subspan(off, std::min(read, stream.size() - off)));
    seeds.add("real-cap-reads-of-" + std::to_string(read), in);
  }
  Bytes small{40};
  add_read(small, stream);
  seeds.add("cap-40-one-read", small);
  Bytes cut{0};
  add_read(cut, ByteView(stream).first(stream.size() - 5));
  seeds.add("cut-short", cut);
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t cap = data[0] == 0 ? kMaxMessageSize : data[0];
  FrameCodec codec(cap);
  Bytes fed, reframed;
  size_t largest_read = 0;
  size_t off = 1;
  while (off + 2 <= size) {
    size_t n = ((size_t(data[off]) << 8 | data[off + 1]) % (kMaxRead + 1));
    off += 2;
    n = std::min(n, size - off);
    ByteView chunk(data + off, n);
    off += n;
    bool was_broken = codec.broken();
    codec.feed(chunk);
    if (!was_broken) fed.insert(fed.end(), chunk.begin(), chunk.end());
    largest_read = std::max(largest_read, n);
    for (;;) {
      auto r = codec.next();
      if (!r) {
        fuzz::check(r.code() == Errc::corrupt, "a frame error other than corrupt");
        fuzz::check(codec.broken(), "a frame error that does not break the stream");
        break;
      }
      if (!*r) break;
      fuzz::check(!was_broken, "a frame after the stream broke");
      fuzz::check(!(*r)->empty() && (*r)->size() <= cap, "a frame outside 1..cap");
      Bytes f = FrameCodec::encode(**r);
      reframed.insert(reframed.end(), f.begin(), f.end());
    }
    fuzz::check(codec.capacity() <=
                    std::max(FrameCodec::kKeepCapacity, FrameCodec::kPrefix + cap + largest_read),
                "the buffer holds more than one capped frame plus one read");
  }
  if (codec.broken()) {
    fuzz::check(!codec.finish().ok(), "a broken stream that finishes cleanly");
    return 0;
  }
  fuzz::check(reframed.size() + codec.buffered() == fed.size(),
              "frames and buffered bytes do not add up to the bytes fed");
  fuzz::check(std::equal(reframed.begin(), reframed.end(), fed.begin()),
              "the frames do not re-frame to the bytes consumed");
  fuzz::check(codec.finish().ok() == (codec.buffered() == 0),
              "finish() disagrees with what is buffered");
  return 0;
}
