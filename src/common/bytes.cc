#include "common/bytes.h"

#include <algorithm>
#include <cstring>

namespace peerstore {

std::string to_hex(ByteView b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(b.size() * 2, '0');
  for (size_t i = 0; i < b.size(); ++i) {
    out[2 * i] = kDigits[b[i] >> 4];
    out[2 * i + 1] = kDigits[b[i] & 15];
  }
  return out;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<Bytes> from_hex(std::string_view hex) {
  if (hex.size() % 2) return fail(Errc::invalid, "hex string has odd length");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return fail(Errc::invalid, "not a hex string");
    out[i] = uint8_t(hi << 4 | lo);
  }
  return out;
}

Result<Id256> Id256::from(ByteView v) {
  if (v.size() != kSize) return fail(Errc::corrupt, "id of " + std::to_string(v.size()) + " bytes");
  Id256 id;
  std::memcpy(id.b.data(), v.data(), kSize);
  return id;
}

bool Id256::is_zero() const {
  for (auto x : b)
    if (x) return false;
  return true;
}

bool bytes_less(ByteView a, ByteView b) {
  size_t n = std::min(a.size(), b.size());
  int c = n ? std::memcmp(a.data(), b.data(), n) : 0;
  return c < 0 || (c == 0 && a.size() < b.size());
}

}  // namespace peerstore
