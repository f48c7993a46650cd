// The mass deletion log: one record each time the brake on mass deletion pinned a version
// (host/mass_delete_watch.h), appended by the mount to a file in its data directory
// (DataDirLayout::brakes()) and shown by `peerstore status`. A record log (common/record_log.h)
// of msgpack arrays [1, pin name, time_ns, files removed, files before]. Stateless functions;
// thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

struct BrakeRecord {
  std::string pin;      // the pinned snapshot's name
  int64_t time_ns = 0;  // when the brake tripped
  uint64_t removed = 0;
  uint64_t files = 0;  // in the pinned version
  bool operator==(const BrakeRecord&) const = default;
};

inline constexpr size_t kMaxBrakeRecord = 512;
inline constexpr size_t kMaxBrakeRecords = 10000;

// One framed record.
Bytes encode_brake(const BrakeRecord& r);
// The records of a log, oldest first, at most kMaxBrakeRecords (the newest); a record that does
// not decode ends the log there, and `damaged`, if given, says so.
std::vector<BrakeRecord> decode_brake_log(ByteView log, bool* damaged = nullptr);

// Appends to / reads the log file (none if it does not exist; a damaged tail is logged).
Status append_brake(const std::string& file, const BrakeRecord& r);
Result<std::vector<BrakeRecord>> read_brakes(const std::string& file);

}  // namespace peerstore
