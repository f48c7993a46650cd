#include "dht/ring.h"

#include <cassert>

namespace peerstore::ring {
namespace {

using Limbs = std::array<uint64_t, 4>;  // limbs[0] is the most significant

Limbs limbs(const Id256& a) {
  Limbs l;
  for (int i = 0; i < 4; ++i) l[i] = get_u64be(a.b.data() + 8 * i);
  return l;
}

Id256 id_of(const Limbs& l) {
  Id256 a;
  for (int i = 0; i < 4; ++i) put_u64be(a.b.data() + 8 * i, l[i]);
  return a;
}

// Three-way comparison of the big-endian numbers, a limb at a time (the hot path of routing).
int cmp(const Id256& a, const Id256& b) {
  for (int i = 0; i < 4; ++i) {
    uint64_t x = get_u64be(a.b.data() + 8 * i), y = get_u64be(b.b.data() + 8 * i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace

bool in_open(const Id256& x, const Id256& a, const Id256& b) {
  int ab = cmp(a, b);
  if (ab < 0) return cmp(a, x) < 0 && cmp(x, b) < 0;
  if (ab > 0) return cmp(a, x) < 0 || cmp(x, b) < 0;
  return cmp(x, a) != 0;
}

bool in_half_open(const Id256& x, const Id256& a, const Id256& b) {
  int ab = cmp(a, b);
  if (ab < 0) return cmp(a, x) < 0 && cmp(x, b) <= 0;
  if (ab > 0) return cmp(a, x) < 0 || cmp(x, b) <= 0;
  return true;
}

Id256 add(const Id256& a, const Id256& b) {
  Limbs x = limbs(a), y = limbs(b), r;
  unsigned __int128 carry = 0;
  for (int i = 3; i >= 0; --i) {
    unsigned __int128 s = (unsigned __int128)x[i] + y[i] + carry;
    r[i] = uint64_t(s);
    carry = s >> 64;
  }
  return id_of(r);
}

Id256 sub(const Id256& a, const Id256& b) {
  Limbs x = limbs(a), y = limbs(b), r;
  uint64_t borrow = 0;
  for (int i = 3; i >= 0; --i) {
    uint64_t d = x[i] - y[i] - borrow;
    borrow = (x[i] < y[i] || (x[i] == y[i] && borrow)) ? 1 : 0;
    r[i] = d;
  }
  return id_of(r);
}

Id256 add_pow2(const Id256& a, unsigned i) {
  assert(i < 256);
  Limbs p{};
  p[3 - i / 64] = uint64_t(1) << (i % 64);
  return add(a, id_of(p));
}

Id256 add_u64(const Id256& a, uint64_t v) {
  Limbs p{};
  p[3] = v;
  return add(a, id_of(p));
}

Id256 shift_right(const Id256& a, unsigned bits) {
  if (bits >= 256) return Id256{};
  Limbs x = limbs(a), r{};
  unsigned limb = bits / 64, bit = bits % 64;
  for (int i = 3; i >= 0; --i) {
    int src = i - int(limb);
    if (src < 0) continue;
    uint64_t v = x[src] >> bit;
    if (bit && src > 0) v |= x[src - 1] << (64 - bit);
    r[i] = v;
  }
  return id_of(r);
}

Id256 mul_u64(const Id256& a, uint64_t m) {
  Limbs x = limbs(a), r;
  unsigned __int128 carry = 0;
  for (int i = 3; i >= 0; --i) {
    unsigned __int128 p = (unsigned __int128)x[i] * m + carry;
    r[i] = uint64_t(p);
    carry = p >> 64;
  }
  return id_of(r);
}

std::vector<Id256> split(const Id256& lo, const Id256& hi, unsigned parts_log2) {
  assert(parts_log2 > 0 && parts_log2 < 16);
  const uint64_t parts = uint64_t(1) << parts_log2;
  Id256 width;
  if (lo == hi) {
    // The whole ring, 2^256 wide: each part is 2^(256 - parts_log2).
    Limbs p{};
    unsigned bit = 256 - parts_log2;
    p[3 - bit / 64] = uint64_t(1) << (bit % 64);
    width = id_of(p);
  } else {
    width = shift_right(sub(hi, lo), parts_log2);
  }
  std::vector<Id256> b;
  b.reserve(parts + 1);
  for (uint64_t i = 0; i < parts; ++i) b.push_back(add(lo, mul_u64(width, i)));
  b.push_back(hi);
  return b;
}

Id256 from_u64_top(uint64_t v) {
  Id256 a;
  put_u64be(a.b.data(), v);
  return a;
}

uint64_t top_u64(const Id256& a) {
  return get_u64be(a.b.data());
}

}  // namespace peerstore::ring
