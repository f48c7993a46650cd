// Result<T>, Error and the PS_TRY / PS_ASSIGN macros: errors are values in PeerStore, so the
// propagation helpers must stop at the first failure and carry its code and context unchanged.
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <string>

#include "common/result.h"

namespace peerstore {
namespace {

Status fails_with(Errc code, const std::string& context) { return fail(code, context); }
Status succeeds() { return {}; }

Result<int> half(int x) {
  if (x % 2) return fail(Errc::invalid, "odd " + std::to_string(x));
  return x / 2;
}

// Chains PS_TRY; `reached` counts how far it got, proving the early return.
Status try_chain(bool fail_first, int* reached) {
  *reached = 0;
  PS_TRY(fail_first ? fails_with(Errc::io, "step one") : succeeds());
  *reached = 1;
  PS_TRY(fails_with(Errc::busy, "step two"));
  *reached = 2;
  return {};
}

// PS_TRY also works on Result<T> (it only looks at ok() and error()).
Result<int> try_on_value(int x) {
  PS_TRY(half(x));
  return 42;
}

Result<int> quarter(int x) {
  PS_ASSIGN(int h, half(x));
  PS_ASSIGN(int q, half(h));  // two PS_ASSIGNs in one scope: the temporaries must not clash
  return q;
}

// Assigning to an existing variable, and moving a move-only value out of the Result.
Result<std::unique_ptr<int>> boxed(int x) {
  if (x < 0) return fail(Errc::not_found, "negative");
  return std::make_unique<int>(x);
}
Result<int> unbox(int x) {
  std::unique_ptr<int> p;
  PS_ASSIGN(p, boxed(x));
  return *p + 1;
}

TEST_CASE("Result holds a value or an error") {
  Result<int> v = 7;
  CHECK(v.ok());
  CHECK(bool(v));
  CHECK(v.code() == Errc::ok);
  CHECK(*v == 7);

  Result<int> e = fail(Errc::corrupt, "block 1234");
  REQUIRE_FALSE(e.ok());
  CHECK(e.code() == Errc::corrupt);
  CHECK(e.error().context == "block 1234");
  CHECK(e.error().message() == "block 1234: corrupt data");
}

TEST_CASE("Result<void> is ok by default and carries an error otherwise") {
  Status s;
  CHECK(s.ok());
  CHECK(s.code() == Errc::ok);
  Status f = fail(Errc::timeout, "");
  REQUIRE_FALSE(f.ok());
  CHECK(f.error().message() == "timed out");  // no context: just the name
}

TEST_CASE("PS_TRY returns the first error and skips the rest") {
  int reached = -1;
  Status s = try_chain(true, &reached);
  REQUIRE(s.code() == Errc::io);
  CHECK(s.error().context == "step one");
  CHECK(reached == 0);

  s = try_chain(false, &reached);
  REQUIRE(s.code() == Errc::busy);
  CHECK(s.error().context == "step two");
  CHECK(reached == 1);

  CHECK(*try_on_value(4) == 42);
  CHECK(try_on_value(3).code() == Errc::invalid);
}

TEST_CASE("PS_ASSIGN declares from the value or propagates the error") {
  CHECK(*quarter(12) == 3);
  auto odd_first = quarter(7);
  REQUIRE(odd_first.code() == Errc::invalid);
  CHECK(odd_first.error().context == "odd 7");
  auto odd_second = quarter(6);  // 6 -> 3 fails in the second PS_ASSIGN
  REQUIRE_FALSE(odd_second.ok());
  CHECK(odd_second.error().context == "odd 3");

  CHECK(*unbox(41) == 42);
  CHECK(unbox(-1).code() == Errc::not_found);
}

TEST_CASE("every Errc has its own readable name") {
  std::set<std::string> names;
  for (int i = 0; i <= int(Errc::too_big); ++i) {
    std::string n = errc_name(Errc(i));
    CHECK(n != "unknown error");
    names.insert(n);
  }
  CHECK(names.size() == size_t(Errc::too_big) + 1);
}

}  // namespace
}  // namespace peerstore
