// Ring arithmetic on 256-bit ids: intervals on the circle (with wrap-around and the degenerate
// a == b cases), modular add/sub, finger starts, and range splitting for repair summaries.
#include "dht/ring.h"

#include <doctest/doctest.h>

#include "dht/node_ref.h"
#include "test_data.h"

namespace peerstore {
namespace {

using ring::from_u64_top;

Id256 max_id() {
  Id256 m;
  m.b.fill(0xff);
  return m;
}

TEST_CASE("ring: open and half-open intervals, with wrap-around") {
  auto a = from_u64_top(10), b = from_u64_top(20), x = from_u64_top(15), y = from_u64_top(25);
  CHECK(ring::in_open(x, a, b));
  CHECK_FALSE(ring::in_open(a, a, b));
  CHECK_FALSE(ring::in_open(b, a, b));
  CHECK(ring::in_half_open(b, a, b));
  CHECK_FALSE(ring::in_half_open(a, a, b));
  CHECK_FALSE(ring::in_open(y, a, b));
  // Wrapping: (20, 10) holds 25, 0 and 5, not 15.
  CHECK(ring::in_open(y, b, a));
  CHECK(ring::in_open(Id256{}, b, a));
  CHECK(ring::in_open(from_u64_top(5), b, a));
  CHECK_FALSE(ring::in_open(x, b, a));
  CHECK(ring::in_half_open(a, b, a));
  // (a, a) is everything but a; (a, a] is everything.
  CHECK(ring::in_open(x, a, a));
  CHECK_FALSE(ring::in_open(a, a, a));
  CHECK(ring::in_half_open(a, a, a));
  CHECK(ring::in_half_open(x, a, a));
}

TEST_CASE("ring: add, sub, distance and finger starts wrap mod 2^256") {
  Id256 one = ring::add_u64(Id256{}, 1);
  CHECK(ring::add(max_id(), one) == Id256{});
  CHECK(ring::sub(Id256{}, one) == max_id());
  CHECK(ring::distance(from_u64_top(10), from_u64_top(3)) ==
        ring::sub(from_u64_top(3), from_u64_top(10)));
  CHECK(ring::add_pow2(Id256{}, 0) == one);
  CHECK(ring::add_pow2(Id256{}, 255).b[0] == 0x80);
  CHECK(ring::add_pow2(Id256{}, 64).b[23] == 0x01);
  // Carries ripple through every limb.
  Id256 low_ones;
  for (size_t i = 8; i < 32; ++i) low_ones.b[i] = 0xff;
  Id256 r = ring::add_u64(low_ones, 1);
  CHECK(r.b[7] == 1);
  for (size_t i = 8; i < 32; ++i) CHECK(r.b[i] == 0);
  std::mt19937_64 rng(7);
  for (int k = 0; k < 200; ++k) {
    Id256 p = sim::random_id(rng), q = sim::random_id(rng);
    CHECK(ring::sub(ring::add(p, q), q) == p);
    CHECK(ring::add(p, ring::distance(p, q)) == q);
    CHECK(ring::shift_right(ring::mul_u64(ring::shift_right(p, 8), 256), 8) ==
          ring::shift_right(p, 8));
  }
}

TEST_CASE("ring: split gives equal consecutive parts that cover the range") {
  std::mt19937_64 rng(11);
  for (int k = 0; k < 100; ++k) {
    Id256 lo = sim::random_id(rng), hi = sim::random_id(rng);
    auto b = ring::split(lo, hi, 4);
    REQUIRE(b.size() == 17);
    CHECK(b.front() == lo);
    CHECK(b.back() == hi);
    Id256 w = ring::sub(b[1], b[0]);
    for (size_t i = 1; i + 1 < 16; ++i) CHECK(ring::sub(b[i + 1], b[i]) == w);
    // Every key of (lo, hi] falls in exactly one part.
    for (int t = 0; t < 20; ++t) {
      Id256 x = sim::random_id(rng);
      int parts = 0;
      for (size_t i = 0; i < 16; ++i) parts += ring::in_half_open(x, b[i], b[i + 1]) ? 1 : 0;
      CHECK(parts == (ring::in_half_open(x, lo, hi) ? 1 : 0));
    }
  }
  // The whole ring (lo == hi) splits into 2^252-wide parts.
  auto whole = ring::split(from_u64_top(5), from_u64_top(5), 4);
  CHECK(ring::sub(whole[1], whole[0]) == ring::add_pow2(Id256{}, 252));
  CHECK(whole.back() == from_u64_top(5));
}

TEST_CASE("node id: BLAKE2b-256 of the device public key") {
  PublicKey pk;
  pk.b.fill(0);
  // BLAKE2b-256 of 32 zero bytes.
  CHECK(node_id_for(pk).hex() ==
        "89eb0d6a8a691dae2cd15ed0369931ce0a949ecafa5c3f93f8121833646e15c3");
}

}  // namespace
}  // namespace peerstore
