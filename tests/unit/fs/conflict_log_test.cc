// The conflict log's records: they round-trip, a log cut short or damaged lists what came
// before, oversized records and fields are refused without allocating them.
#include "fs/conflict_log.h"

#include <doctest/doctest.h>

namespace peerstore {
namespace {

ConflictRecord sample(int i) {
  return {"/docs/report-" + std::to_string(i) + ".txt",
          "/docs/report-" + std::to_string(i) + ".conflict-bc7cbcb5-20261205-063654.txt",
          "65e8f9b0", "bc7cbcb5", 1764916614000000000 + i};
}

TEST_CASE("conflict log: records round-trip; a cut or damaged tail ends the list") {
  Bytes log;
  for (int i = 0; i < 3; ++i) {
    Bytes r = encode_conflict(sample(i));
    log.insert(log.end(), r.begin(), r.end());
  }
  bool damaged = true;
  auto all = decode_conflict_log(log, &damaged);
  CHECK_FALSE(damaged);
  REQUIRE(all.size() == 3);
  CHECK(all[2] == sample(2));

  Bytes cut(log.begin(), log.end() - 5);  // a write cut short by a crash
  auto some = decode_conflict_log(cut, &damaged);
  CHECK(damaged);
  CHECK(some.size() == 2);

  Bytes bad = log;
  bad[4] = 0xc1;  // not msgpack: nothing from the first record on
  CHECK(decode_conflict_log(bad, &damaged).empty());
  CHECK(damaged);

  Bytes huge{0xff, 0xff, 0xff, 0xff, 1, 2, 3};  // a length far past the cap
  CHECK(decode_conflict_log(huge, &damaged).empty());
  CHECK(decode_conflict_log(Bytes{}, &damaged).empty());
  CHECK_FALSE(damaged);
}

TEST_CASE("conflict log: long paths are cut to fit a record") {
  ConflictRecord r = sample(0);
  r.path = std::string(10000, 'p');
  Bytes b = encode_conflict(r);
  CHECK(b.size() <= kMaxConflictRecord + 4);
  auto back = decode_conflict_log(b);
  REQUIRE(back.size() == 1);
  CHECK(back[0].path.size() < r.path.size());
}

}  // namespace
}  // namespace peerstore
