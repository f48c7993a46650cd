// SpaceBudget: file data is admitted only while it fits beside what is unstored with the
// reserve kept; metadata may use half the reserve; the store is asked again when the margin is
// thin or the last answer is old, not on every write.
#include "fs/space_budget.h"

#include <doctest/doctest.h>

#include <thread>

namespace peerstore {
namespace {

constexpr uint64_t kMiB = 1 << 20;

struct FakeStore {
  StoreSpace space{.free = 100 * kMiB, .total = 100 * kMiB};
  uint64_t unstored = 0;
  // Bytes a quick look counts twice: stored, and still queued as unstored (a batch between the
  // store's commit and its removal from the queue). A settled look waits that out.
  uint64_t in_both = 0;
  bool broken = false;
  int probes = 0, settled = 0;
  SpaceBudget::Probe probe() {
    return [this](bool exact) -> Result<SpaceBudget::Look> {
      ++probes;
      settled += exact;
      if (broken) return fail(Errc::io, "statvfs failed");
      return SpaceBudget::Look{space, unstored + (exact ? 0 : in_both)};
    };
  }
};

TEST_CASE("space budget: the reserve is 2 % of the store, between 4 and 256 MiB") {
  CHECK(SpaceBudget::reserve_for(0) == 4 * kMiB);
  CHECK(SpaceBudget::reserve_for(64 * kMiB) == 4 * kMiB);
  CHECK(SpaceBudget::reserve_for(1000 * kMiB) == 20 * kMiB);
  CHECK(SpaceBudget::reserve_for(uint64_t(1) << 50) == 256 * kMiB);
}

TEST_CASE("space budget: data fits beside what is unstored, with the reserve kept") {
  FakeStore store;
  store.space = {.free = 20 * kMiB, .total = 64 * kMiB};       // reserve 4 MiB
  SpaceBudget b(store.probe(), std::chrono::milliseconds(0));  // asks every time
  CHECK(b.admit_data(16 * kMiB));
  CHECK_FALSE(b.admit_data(16 * kMiB + 1));
  CHECK((store.unstored = 10 * kMiB, b.admit_data(6 * kMiB)));
  CHECK_FALSE((store.unstored = 10 * kMiB, b.admit_data(6 * kMiB + 1)));
  // Metadata may use half the reserve, and needs no new data room.
  CHECK((store.unstored = 18 * kMiB, b.admit_metadata()));
  CHECK_FALSE((store.unstored = 18 * kMiB + 1, b.admit_metadata()));
  // Room again (files deleted, disk grown): admitted again.
  store.space.free = 40 * kMiB;
  CHECK((store.unstored = 10 * kMiB, b.admit_data(6 * kMiB + 1)));
  CHECK(b.last_free() == 40 * kMiB);
}

TEST_CASE("space budget: the slack is kept free beside the reserve, half of it for metadata") {
  FakeStore store;
  store.space = {.free = 30 * kMiB, .total = 64 * kMiB};  // reserve 4 MiB, slack 10
  SpaceBudget b(store.probe(), std::chrono::milliseconds(0), 10 * kMiB);
  CHECK(b.admit_data(16 * kMiB));
  CHECK_FALSE(b.admit_data(16 * kMiB + 1));
  CHECK((store.unstored = 23 * kMiB, b.admit_metadata()));
  CHECK_FALSE((store.unstored = 23 * kMiB + 1, b.admit_metadata()));
}

TEST_CASE("space budget: a fresh answer is reused while the margin lasts") {
  FakeStore store;
  store.space = {.free = 100 * kMiB, .total = 1000 * kMiB};  // reserve 20 MiB
  SpaceBudget b(store.probe(), std::chrono::hours(1));
  CHECK(b.admit_data(kMiB));
  CHECK(store.probes == 1);
  // 79 more MiB in small writes: no new question while they fit by the first answer.
  for (int i = 0; i < 79; ++i) CHECK(b.admit_data(kMiB));
  CHECK(store.probes == 1);
  // The margin is used up by the last answer: the next write asks again and sees the store as
  // it is now (the writes were stored meanwhile, so free went down by as much).
  store.space.free = 21 * kMiB;
  CHECK(b.admit_data(kMiB));
  CHECK(store.probes == 2);
  CHECK(store.settled == 0);
  // A refusal is made on a settled look only.
  store.space.free = 20 * kMiB;
  CHECK_FALSE(b.admit_data(kMiB));
  CHECK(store.probes == 4);
  CHECK(store.settled == 1);
}

TEST_CASE("space budget: bytes stored since the last answer do not count as room") {
  // A mount on a 48 MiB disk once took 17 MiB into a store with 15 MiB free this way: the
  // unstored bytes went down as batches were stored, but the remembered free space did not.
  FakeStore store;
  store.space = {.free = 30 * kMiB, .total = 64 * kMiB};  // reserve 4 MiB
  store.unstored = 10 * kMiB;
  SpaceBudget b(store.probe(), std::chrono::hours(1));
  CHECK(b.admit_data(10 * kMiB));  // 10 unstored, 10 more: 24 of 30
  CHECK(store.probes == 1);
  // The first 10 MiB were stored: 20 MiB free now, 10 unstored. 10 more do not fit.
  store.space.free = 20 * kMiB;
  CHECK_FALSE(b.admit_data(10 * kMiB));
  CHECK(store.probes == 3);
  CHECK(b.admit_data(6 * kMiB));
  CHECK(store.probes == 3);
}

TEST_CASE("space budget: a batch counted twice by a quick look does not refuse names") {
  // The flake loop once saw open(O_CREAT) fail with ENOSPC on a disk with room for it: the
  // look came while an 8 MiB batch was stored and not yet off the queue, so it counted twice.
  FakeStore store;
  store.space = {.free = 20 * kMiB, .total = 64 * kMiB};  // reserve 4 MiB, slack 9
  store.unstored = 8 * kMiB;
  store.in_both = 8 * kMiB;
  SpaceBudget b(store.probe(), std::chrono::milliseconds(0), 9 * kMiB);
  CHECK(b.admit_metadata());  // 20 free >= 8 unstored + 6.5 kept; 28 were not
  CHECK(store.settled == 1);
  CHECK_FALSE(b.admit_data(kMiB));  // 8 + 1 + 13 kept > 20: a true refusal
  CHECK(store.settled == 2);
  CHECK(b.last_refusal() ==
        "20480 KiB free, 8192 KiB accepted and not stored yet, 1024 KiB "
        "asked, 13312 KiB reserve");
}

TEST_CASE("space budget: an old answer is not trusted") {
  FakeStore store;
  SpaceBudget b(store.probe(), std::chrono::milliseconds(20));
  CHECK(b.admit_data(kMiB));
  std::this_thread::sleep_for(std::chrono::milliseconds(40));
  store.space.free = 0;
  CHECK_FALSE(b.admit_data(kMiB));
  CHECK(store.probes == 3);
}

TEST_CASE("space budget: a store that cannot say admits (its own write fails cleanly)") {
  FakeStore store;
  store.broken = true;
  SpaceBudget b(store.probe());
  CHECK(b.admit_data(kMiB));
  CHECK(b.admit_metadata());
}

}  // namespace
}  // namespace peerstore
