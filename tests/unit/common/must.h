// must(): the value of a Result, or a failed REQUIRE naming the error. Dereferencing a failed
// Result asserts and would end the whole test binary; must() fails only the current test case.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "common/result.h"

namespace peerstore::test {

template <typename T>
T must(Result<T> r) {
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? std::string() : r.error().message()));
  return std::move(r).value();
}

}  // namespace peerstore::test
