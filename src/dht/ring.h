// Ring arithmetic on 256-bit identifiers: the Chord circle is the integers mod 2^256, with an
// Id256's bytes read big-endian. Intervals go clockwise from their first end; (a, a) is the whole
// ring but a, and (a, a] is the whole ring. Stateless functions; thread-safe.
#pragma once

#include <vector>

#include "common/bytes.h"

namespace peerstore::ring {

// x in (a, b), clockwise.
bool in_open(const Id256& x, const Id256& a, const Id256& b);
// x in (a, b], clockwise. (a, a] is the whole ring: a one-node ring owns every key.
bool in_half_open(const Id256& x, const Id256& a, const Id256& b);

Id256 add(const Id256& a, const Id256& b);
Id256 sub(const Id256& a, const Id256& b);  // a - b mod 2^256
// a + 2^i mod 2^256, 0 <= i < 256: the start of finger i.
Id256 add_pow2(const Id256& a, unsigned i);
Id256 add_u64(const Id256& a, uint64_t v);
// Clockwise distance from a to b: b - a mod 2^256 (0 when a == b).
inline Id256 distance(const Id256& a, const Id256& b) {
  return sub(b, a);
}
Id256 shift_right(const Id256& a, unsigned bits);
Id256 mul_u64(const Id256& a, uint64_t m);  // mod 2^256

// Splits the range (lo, hi] into 2^parts_log2 consecutive ranges (b[i], b[i+1]] and returns the
// 2^parts_log2 + 1 bounds, b[0] = lo and b[last] = hi. Every part but the last has the same
// width; the last takes the remainder. (lo, lo] is the whole ring. Both ends of a repair
// exchange call this with the same arguments, so the parts match exactly.
std::vector<Id256> split(const Id256& lo, const Id256& hi, unsigned parts_log2);

// Id with the top 64 bits set to v and the rest zero: handy in tests and simulations.
Id256 from_u64_top(uint64_t v);
uint64_t top_u64(const Id256& a);

}  // namespace peerstore::ring
