// Retention (fs/retention.h): which past versions a computer keeps. It must be a function of
// the history and the clock alone (order and duplicates do not matter), keep the latest
// version of each bucket, keep versions from the future, and read its options strictly.
#include "fs/retention.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace peerstore {
namespace {

using std::chrono::seconds;
constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kDay = 86400;

Id256 hash_of(uint64_t n) {
  Id256 id;
  std::memcpy(id.b.data(), &n, sizeof n);
  id.b[31] = 0x5e;
  return id;
}

bool kept(const std::vector<Id256>& keep, const Id256& id) {
  return std::binary_search(keep.begin(), keep.end(), id);
}

TEST_CASE("retention: durations") {
  CHECK(parse_duration("0") == seconds(0));
  CHECK(parse_duration("90s") == seconds(90));
  CHECK(parse_duration("45m") == seconds(45 * 60));
  CHECK(parse_duration("48h") == seconds(48 * 3600));
  CHECK(parse_duration("31d") == seconds(31 * kDay));
  CHECK(parse_duration("8w") == seconds(8 * 7 * kDay));
  CHECK(parse_duration("36500d") == seconds(36500 * kDay));
  for (const char* bad : {"", "h", "5", "5x", "-1h", "1.5h", " 1h", "1h ", "1H", "99999999999d",
                          "18446744073709551616s"})
    CHECK_MESSAGE(!parse_duration(bad), bad);
}

TEST_CASE("retention: the default policy over forty days of a version every ten minutes") {
  const int64_t now = 20000 * kDay;  // midnight UTC
  std::vector<Version> versions;
  for (int64_t k = 0; k <= 40 * 144; ++k)
    versions.push_back({hash_of(uint64_t(k)), (now - k * 600) * kS});
  std::vector<Id256> keep = retained_versions(versions, now * kS, RetentionPolicy{});
  // Version k is k * 10 min old. Every version of the last hour: k = 0..5 (6). The latest of
  // each hour for 48 hours: k = 0 (the hour of `now`) and k = 6j - 5 for j = 1..48 (49), of
  // which k = 0 and 1 are counted. The latest of each day for 31 days: k = 0 and
  // k = 144(i - 1) + 1 for i = 1..31 (32), of which k = 0, 1 and 145 are counted. 6 + 47 + 29.
  CHECK(keep.size() == 82);
  for (int k = 0; k <= 5; ++k) CHECK(kept(keep, hash_of(k)));
  CHECK(kept(keep, hash_of(7)));                 // 22:50 yesterday: the last of its hour
  CHECK_FALSE(kept(keep, hash_of(8)));           // 22:40: not the last of its hour
  CHECK(kept(keep, hash_of(61)));                // 13:50 yesterday: the last of its hour
  CHECK_FALSE(kept(keep, hash_of(6 * 50 + 1)));  // 50 h 10 min ago: past the hourly rule
  CHECK(kept(keep, hash_of(144 * 10 + 1)));      // 10 days ago, 10 min before midnight
  CHECK_FALSE(kept(keep, hash_of(144 * 10 + 2)));
  CHECK_FALSE(kept(keep, hash_of(144 * 32 + 1)));  // past the daily rule
}

TEST_CASE("retention: a floor (space pressure) drops every version older than it, no more") {
  const int64_t now = 20000 * kDay;
  std::vector<Version> versions;
  for (int64_t k = 0; k <= 40 * 144; ++k)
    versions.push_back({hash_of(uint64_t(k)), (now - k * 600) * kS});
  RetentionPolicy thinned;
  thinned.floor_ns = (now - 3 * 600) * kS;  // k <= 3 stay
  std::vector<Id256> keep = retained_versions(versions, now * kS, thinned);
  CHECK(keep.size() == 4);
  for (int k = 0; k <= 3; ++k) CHECK(kept(keep, hash_of(k)));
  // The floor only takes away: what the rules keep above it is as without it.
  std::vector<Id256> all = retained_versions(versions, now * kS, RetentionPolicy{});
  for (auto& id : keep) CHECK(kept(all, id));
}

TEST_CASE("retention: a function of the history, not of its order or duplicates") {
  std::mt19937_64 rng(7);
  std::vector<Version> versions;
  const int64_t now = 1'760'000'000;
  for (int i = 0; i < 2000; ++i)
    versions.push_back({hash_of(rng()), (now - int64_t(rng() % (40 * kDay))) * kS});
  std::vector<Id256> keep = retained_versions(versions, now * kS, RetentionPolicy{});
  std::vector<Version> shuffled = versions;
  shuffled.insert(shuffled.end(), versions.begin(), versions.begin() + 500);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  CHECK(retained_versions(shuffled, now * kS, RetentionPolicy{}) == keep);
  CHECK(std::is_sorted(keep.begin(), keep.end()));
  CHECK(std::adjacent_find(keep.begin(), keep.end()) == keep.end());
}

TEST_CASE("retention: ties, the future, rules turned off, absurd times") {
  const int64_t now = 100 * kDay * kS;
  RetentionPolicy daily_only{.all = seconds(0), .hourly = seconds(0), .daily = seconds(7 * kDay)};
  // Two versions of one time in one day: the larger hash wins, on every computer.
  Id256 a = hash_of(1), b = hash_of(2);
  std::vector<Id256> keep =
      retained_versions({{a, now - 3600 * kS}, {b, now - 3600 * kS}}, now, daily_only);
  CHECK(keep == std::vector<Id256>{std::max(a, b)});
  // A version from a clock ahead of ours is kept, whatever the rules.
  RetentionPolicy none{.all = seconds(0), .hourly = seconds(0), .daily = seconds(0)};
  CHECK(retained_versions({{a, now + kS}}, now, none) == std::vector<Id256>{a});
  CHECK(retained_versions({{a, now - kS}}, now, none).empty());
  // Weekly: the last of each week for eight weeks.
  RetentionPolicy weekly{.all = seconds(0),
                         .hourly = seconds(0),
                         .daily = seconds(0),
                         .weekly = seconds(8 * 7 * kDay)};
  std::vector<Version> versions;
  for (int d = 0; d < 100; ++d) versions.push_back({hash_of(uint64_t(d)), now - d * kDay * kS});
  size_t weeks = retained_versions(versions, now, weekly).size();
  CHECK(weeks >= 8);
  CHECK(weeks <= 9);
  // Times no clock shows (a head's time is whatever its writer put there) do not overflow.
  CHECK(retained_versions({{a, INT64_MIN}, {b, INT64_MAX}}, now, RetentionPolicy{}) ==
        std::vector<Id256>{b});
}

TEST_CASE("snapshot names: the time in UTC; in one second the latest keeps it") {
  const int64_t t = int64_t(1764928800) * kS;  // 2025-12-05T10-00-00
  CHECK(version_time_name(t) == "2025-12-05T10-00-00");
  CHECK(version_time_name(t + kS - 1) == "2025-12-05T10-00-00");
  CHECK(version_time_name(t - 1) == "2025-12-05T09-59-59");
  CHECK(version_time_name(0) == "1970-01-01T00-00-00");
  CHECK(!version_time_name(INT64_MAX).empty());  // whatever a head's writer put there
  CHECK(!version_time_name(INT64_MIN).empty());
  Id256 a = hash_of(1), b = hash_of(2), c = hash_of(3);
  std::vector<std::string> names =
      snapshot_names({{a, t + 5 * kS}, {b, t + 200'000'000}, {c, t + 100'000'000}});
  CHECK(names[0] == "2025-12-05T10-00-05");
  CHECK(names[1] == "2025-12-05T10-00-00");
  CHECK(names[2] == "2025-12-05T10-00-00~" + c.hex().substr(0, 8));
  // The same whatever the order; a tie in time goes to the larger hash.
  std::vector<std::string> reversed = snapshot_names({{c, t + 100'000'000}, {b, t + 200'000'000}});
  CHECK(reversed[0] == names[2]);
  CHECK(reversed[1] == names[1]);
  std::vector<std::string> tie = snapshot_names({{a, t}, {b, t}});
  CHECK(tie[a < b ? 1 : 0] == "2025-12-05T10-00-00");
  CHECK(tie[a < b ? 0 : 1] == "2025-12-05T10-00-00~" + (a < b ? a : b).hex().substr(0, 8));
}

}  // namespace
}  // namespace peerstore
