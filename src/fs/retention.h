// Retention: which past versions of a volume a computer keeps (docs/lifecycle.md, What is
// retained): every version of the last hour, the last of each hour for two days, the last of
// each day for a month, by default. A pure function of the versions' times and the clock, so
// every computer with the same history keeps the same versions: buckets are aligned to the
// Unix epoch (UTC), and a bucket keeps its latest version (then the larger hash). The
// current heads are kept besides, by the caller. Values and pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"

namespace peerstore {

struct RetentionPolicy {
  // How far back each rule reaches; 0 turns a rule off.
  std::chrono::seconds all{3600};          // -o snapshots_all: every version
  std::chrono::seconds hourly{48 * 3600};  // -o snapshots_hourly: the last of each hour
  std::chrono::seconds daily{31 * 86400};  // -o snapshots_daily: the last of each day
  std::chrono::seconds weekly{0};          // -o snapshots_weekly: the last of each week
  // Versions older than this (ns since the epoch) are not kept by the rules above: where space
  // pressure thinned the automatic snapshots (host/retention_floor.h). 0: none.
  int64_t floor_ns = 0;
  bool operator==(const RetentionPolicy&) const = default;
};

// "90s", "45m", "48h", "31d", "8w" or "0": a duration, at most 100 years. nullopt when
// malformed.
std::optional<std::chrono::seconds> parse_duration(std::string_view s);

struct Version {
  Id256 hash;
  int64_t time_ns = 0;
};

// The hashes of the `versions` the policy keeps at `now_ns`, sorted, each once. A version
// from the future (a computer whose clock is ahead) is kept.
std::vector<Id256> retained_versions(const std::vector<Version>& versions, int64_t now_ns,
                                     const RetentionPolicy& policy);

// A version's time as its name: "2026-12-05T10-00-00", UTC, to the second.
std::string version_time_name(int64_t time_ns);

// The names `versions` show under .snapshots/ and in `peerstore snapshots`, in their order:
// each its time (version_time_name); of several in one second, the latest (then the larger
// hash) keeps the plain name and the others add "~" and the first 8 hex digits of their hash,
// a name that stays the same while retention thins the others.
std::vector<std::string> snapshot_names(const std::vector<Version>& versions);

}  // namespace peerstore
