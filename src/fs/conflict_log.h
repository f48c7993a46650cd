// The conflict log: one record per conflict copy live sync made (the path that kept the
// winner's version, the copy's path, the two devices, when), appended by the mount to a file in
// its data directory and listed by `peerstore conflicts`. File format: records back to back, each
// a 4-byte big-endian length and a msgpack array [1, path, copy, winner, loser, time_ns].
// Stateless functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

struct ConflictRecord {
  std::string path;    // where the winner's version is
  std::string copy;    // where the loser's version went
  std::string winner;  // devices
  std::string loser;
  int64_t time_ns = 0;  // when the merge made it
  bool operator==(const ConflictRecord&) const = default;
};

inline constexpr size_t kMaxConflictRecord = 16 << 10;
inline constexpr size_t kMaxConflictRecords = 100000;

// One framed record; paths longer than fit in kMaxConflictRecord are cut.
Bytes encode_conflict(const ConflictRecord& r);
// The records of a log, oldest first, at most kMaxConflictRecords (the newest). A record that
// does not decode (a damaged file, a write cut short by a crash) ends the log there, and
// `damaged`, if given, says so.
std::vector<ConflictRecord> decode_conflict_log(ByteView log, bool* damaged = nullptr);

}  // namespace peerstore
