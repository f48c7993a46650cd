// Secret: key material in sodium_malloc'ed memory. The tests pin the value semantics the key
// code relies on: zero-filled, exact size, constant-time equality, and moves that leave the
// source empty (so a moved-from key can never be used by accident or freed twice).
#include <doctest/doctest.h>

#include <utility>

#include "common/secret.h"

namespace peerstore {
namespace {

TEST_CASE("a new Secret is zero-filled and has its size") {
  Secret s(48);
  CHECK(s.size() == 48);
  CHECK_FALSE(s.empty());
  for (size_t i = 0; i < s.size(); ++i) CHECK(s.data()[i] == 0);
  Secret none;
  CHECK(none.empty());
  CHECK(none.size() == 0);
  Secret zero_sized(0);  // allowed: sodium gets one byte, the view is empty
  CHECK(zero_sized.empty());
}

TEST_CASE("a Secret copies what it is built from") {
  uint8_t raw[5] = {1, 2, 3, 4, 5};
  Secret s(std::span<const uint8_t>(raw, 5));
  REQUIRE(s.size() == 5);
  CHECK(s.view()[4] == 5);
  raw[4] = 9;  // the Secret owns its copy
  CHECK(s.view()[4] == 5);
}

TEST_CASE("Secret equality compares size and content") {
  uint8_t a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 5};
  Secret sa(std::span<const uint8_t>(a, 4)), sb(std::span<const uint8_t>(b, 4));
  Secret sa2(std::span<const uint8_t>(a, 4)), shorter(std::span<const uint8_t>(a, 3));
  CHECK(sa == sa2);
  CHECK_FALSE(sa == sb);
  CHECK_FALSE(sa == shorter);
  CHECK(Secret() == Secret());
  CHECK(sa.clone() == sa);
  CHECK(sa.clone().data() != sa.data());  // a clone is a separate allocation
}

TEST_CASE("moving a Secret transfers the buffer and empties the source") {
  uint8_t raw[3] = {7, 8, 9};
  Secret a(std::span<const uint8_t>(raw, 3));
  const uint8_t* p = a.data();
  Secret b(std::move(a));
  CHECK(b.data() == p);
  CHECK(b.size() == 3);
  CHECK(a.empty());          // NOLINT(bugprone-use-after-move): checking the moved-from state
  CHECK(a.data() == nullptr);

  Secret c(16);
  c = std::move(b);  // the old 16-byte buffer is freed (wiped) here
  CHECK(c.data() == p);
  CHECK(c.size() == 3);
  CHECK(b.empty());  // NOLINT(bugprone-use-after-move)

  Secret& self = c;
  c = std::move(self);  // self-move keeps the value
  CHECK(c.size() == 3);
  CHECK(c.view()[0] == 7);
}

}  // namespace
}  // namespace peerstore
