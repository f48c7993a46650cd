#include "fs/retention.h"

#include <time.h>

#include <charconv>
#include <map>
#include <set>

namespace peerstore {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
constexpr uint64_t kMaxSeconds = uint64_t(100) * 366 * 86400;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Whether `a` wins a bucket against `b`: the later time, then the larger hash.
bool wins(const Version& a, const Version& b) {
  if (a.time_ns != b.time_ns) return a.time_ns > b.time_ns;
  return b.hash < a.hash;
}

}  // namespace

std::optional<std::chrono::seconds> parse_duration(std::string_view s) {
  if (s == "0") return std::chrono::seconds(0);
  if (s.size() < 2) return std::nullopt;
  uint64_t unit;
  switch (s.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    case 'w':
      unit = 7 * 86400;
      break;
    default:
      return std::nullopt;
  }
  std::string_view digits = s.substr(0, s.size() - 1);
  uint64_t n = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  if (n > kMaxSeconds / unit) return std::nullopt;
  return std::chrono::seconds(int64_t(n * unit));
}

std::vector<Id256> retained_versions(const std::vector<Version>& versions, int64_t now_ns,
                                     const RetentionPolicy& policy) {
  struct Rule {
    uint64_t within_ns;
    int64_t bucket_ns;  // 0: every version
  };
  auto ns = [](std::chrono::seconds s) { return uint64_t(s.count()) * uint64_t(kSecond); };
  const Rule rules[] = {{ns(policy.all), 0},
                        {ns(policy.hourly), 3600 * kSecond},
                        {ns(policy.daily), 86400 * kSecond},
                        {ns(policy.weekly), 7 * 86400 * kSecond}};
  std::set<Id256> keep;
  std::map<std::pair<int, int64_t>, const Version*> best;  // (rule, bucket) -> its latest
  for (const Version& v : versions) {
    if (v.time_ns < policy.floor_ns) continue;  // thinned under space pressure
    if (v.time_ns > now_ns) {
      keep.insert(v.hash);
      continue;
    }
    uint64_t age = uint64_t(now_ns) - uint64_t(v.time_ns);  // >= 0, and fits unsigned
    for (int r = 0; r < 4; ++r) {
      if (age >= rules[r].within_ns) continue;
      if (rules[r].bucket_ns == 0) {
        keep.insert(v.hash);
        continue;
      }
      const Version*& b = best[{r, floor_div(v.time_ns, rules[r].bucket_ns)}];
      if (!b || wins(v, *b)) b = &v;
    }
  }
  for (auto& [bucket, v] : best) keep.insert(v->hash);
  return {keep.begin(), keep.end()};
}

std::string version_time_name(int64_t time_ns) {
  time_t t = time_t(floor_div(time_ns, kSecond));
  struct tm tm {};
  if (!gmtime_r(&t, &tm)) return "0000-00-00T00-00-00";
  char buf[48];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H-%M-%S", &tm);
  return std::string(buf, n);
}

std::vector<std::string> snapshot_names(const std::vector<Version>& versions) {
  std::vector<std::string> names;
  std::map<std::string, size_t> latest;  // a name -> the index of the version that keeps it
  for (size_t i = 0; i < versions.size(); ++i) {
    names.push_back(version_time_name(versions[i].time_ns));
    auto [it, fresh] = latest.emplace(names.back(), i);
    if (!fresh && wins(versions[i], versions[it->second])) it->second = i;
  }
  for (size_t i = 0; i < versions.size(); ++i)
    if (latest[names[i]] != i) names[i] += "~" + versions[i].hash.hex().substr(0, 8);
  return names;
}

}  // namespace peerstore
