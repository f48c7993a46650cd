// Byte strings, fixed-size ids and hex. Plain value types; not synchronized.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace peerstore {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes to_bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}
// Orders byte strings as memcmp does, a prefix first: std::sort's order for Bytes, without
// GCC 12's false -Wstringop-overread on vector's operator<=>.
bool bytes_less(ByteView a, ByteView b);

std::string to_hex(ByteView b);
Result<Bytes> from_hex(std::string_view hex);

// A 256-bit identifier: block ids, volume ids, node ids.
struct Id256 {
  std::array<uint8_t, 32> b{};

  static constexpr size_t kSize = 32;
  static Result<Id256> from(ByteView v);
  ByteView view() const { return {b.data(), b.size()}; }
  bool is_zero() const;
  std::string hex() const { return to_hex(view()); }
  std::string short_hex() const { return hex().substr(0, 12); }
  auto operator<=>(const Id256&) const = default;
};

struct Id256Hash {
  size_t operator()(const Id256& id) const {
    size_t h;
    std::memcpy(&h, id.b.data(), sizeof h);  // ids are uniform hashes already
    return h;
  }
};

inline void put_u64be(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = uint8_t(v);
    v >>= 8;
  }
}
inline uint64_t get_u64be(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace peerstore
