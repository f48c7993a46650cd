// MassDeleteBrake: a burst of removals trips it by share of the tree or by count, never below
// kMinRemovals; removals spread wider than the window do not add up; one place removed again
// and again (an editor's saves) counts once; a tripped brake stays
// quiet for the rest of its burst and is armed again after a quiet window; off never trips.
#include "fs/mass_delete_brake.h"

#include <doctest/doctest.h>

namespace peerstore {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kStart = 1'765'000'000 * kSecond;

// `n` removals at distinct places (numbered from `first`), `step` apart.
void remove_n(MassDeleteBrake& b, uint64_t n, int64_t from, int64_t step = kSecond / 10,
              uint64_t first = 0) {
  for (uint64_t i = 0; i < n; ++i) b.removed(from + int64_t(i) * step, first + i);
}

TEST_CASE("brake: a share of the tree, or a count, within the window") {
  MassDeleteBrake b(BrakeConfig{});
  remove_n(b, 49, kStart);
  CHECK_FALSE(b.counting_due());
  CHECK_FALSE(b.trips(50));  // 98 % of a small tree, but below the floor
  b.removed(kStart + 5 * kSecond, 49);
  CHECK(b.counting_due());
  CHECK(b.window_start() == kStart);
  CHECK(b.trips(166));        // 50 of 166: 30.1 %
  CHECK_FALSE(b.trips(167));  // 29.9 %
  CHECK_FALSE(b.trips(1'000'000));

  BrakeConfig few;
  few.files = 120;
  MassDeleteBrake c(few);
  remove_n(c, 119, kStart);
  CHECK_FALSE(c.trips(1'000'000));
  c.removed(kStart + 60 * kSecond, 119);
  CHECK(c.trips(1'000'000));  // the count alone
}

TEST_CASE("brake: removals farther apart than the window do not add up") {
  MassDeleteBrake b(BrakeConfig{});
  remove_n(b, 200, kStart, 4 * kSecond);  // 200 removals over 800 s: 150 in any 600 s
  CHECK(b.in_window() == 151);
  CHECK(b.window_start() == kStart + 49 * 4 * kSecond);
  remove_n(b, 60, kStart + 3000 * kSecond, 11 * kSecond, 1000);  // one every 11 s: 55 a window
  CHECK(b.in_window() == 55);
  // A time from the past counts as the latest.
  b.removed(kStart, 5000);
  CHECK(b.in_window() == 56);
}

TEST_CASE("brake: one pin a burst; armed again after a quiet window") {
  MassDeleteBrake b(BrakeConfig{});
  remove_n(b, 100, kStart);
  REQUIRE(b.trips(100));
  b.tripped();
  CHECK(b.quiet());
  CHECK(b.in_window() == 0);
  // The rest of the rm -rf: minutes more of removals, each within a window of the last.
  remove_n(b, 5000, kStart + 10 * kSecond, kSecond / 10);
  CHECK_FALSE(b.counting_due());
  CHECK_FALSE(b.trips(1));
  // A whole window without removals, then a new burst.
  int64_t later = kStart + 10 * kSecond + 500 * kSecond + 601 * kSecond;
  b.removed(later, 99999);
  CHECK_FALSE(b.quiet());
  remove_n(b, 60, later + kSecond);
  CHECK(b.trips(100));
}

TEST_CASE("brake: one file saved over and over is one place") {
  MassDeleteBrake b(BrakeConfig{});
  for (int i = 0; i < 500; ++i) b.removed(kStart + i * kSecond / 2, 7);  // an editor's autosave
  CHECK(b.in_window() == 1);
  CHECK_FALSE(b.trips(10));
  remove_n(b, 49, kStart + 300 * kSecond, kSecond / 10, 100);
  CHECK(b.in_window() == 50);
  CHECK(b.trips(100));
}

TEST_CASE("brake: off never trips") {
  BrakeConfig off;
  off.on = false;
  MassDeleteBrake b(off);
  remove_n(b, 20'000, kStart);
  CHECK_FALSE(b.counting_due());
  CHECK_FALSE(b.trips(1));
}

}  // namespace
}  // namespace peerstore
