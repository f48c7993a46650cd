// msgpack helpers: bounded decoding that turns any bad input into Errc::corrupt, and typed
// field access. Decoded objects reference the input buffer (zero-copy): keep it alive while
// using them. Stateless functions; thread-safe.
#pragma once

#include <msgpack.hpp>

#include <span>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore::mp {

// Caps checked by the parser before it allocates. Defaults suit every PeerStore record.
struct Limits {
  size_t array = 1 << 16;  // the parser reserves room for a whole array from its header
  size_t map = 1 << 16;
  size_t str = 1 << 16;
  size_t bin = 2 << 20;
  size_t ext = 0;
  size_t depth = 8;
};

using Object = msgpack::object;
using Array = std::span<const msgpack::object>;

// Parses exactly one object spanning all of `data`; trailing bytes are corruption.
Result<msgpack::object_handle> unpack(ByteView data, const Limits& limits = {});

Result<uint64_t> get_u64(const Object& o);
Result<int64_t> get_i64(const Object& o);
Result<ByteView> get_bin(const Object& o);
Result<Array> get_array(const Object& o, size_t min_len, size_t max_len);
bool is_nil(const Object& o);

using Buffer = msgpack::sbuffer;
using Packer = msgpack::packer<msgpack::sbuffer>;

inline void pack_bin(Packer& p, ByteView b) {
  p.pack_bin(uint32_t(b.size()));
  p.pack_bin_body(reinterpret_cast<const char*>(b.data()), uint32_t(b.size()));
}
inline ByteView view(const Buffer& b) {
  return {reinterpret_cast<const uint8_t*>(b.data()), b.size()};
}
inline Bytes to_bytes(const Buffer& b) {
  auto* d = reinterpret_cast<const uint8_t*>(b.data());
  return Bytes(d, d + b.size());
}

}  // namespace peerstore::mp
