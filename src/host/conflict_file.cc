#include "host/conflict_file.h"

#include "common/log.h"
#include "common/record_log.h"

namespace peerstore::host {

Status append_conflict(const std::string& file, const ConflictRecord& r) {
  return append_record(file, encode_conflict(r));
}

Result<std::vector<ConflictRecord>> read_conflicts(const std::string& file) {
  // A log is small; a larger file (nothing read is trusted) is listed up to there.
  PS_ASSIGN(Bytes all, read_record_log(file, kMaxConflictRecords * 1024));
  bool damaged = false;
  auto out = decode_conflict_log(all, &damaged);
  if (damaged)
    log::warn(file + " ends in a damaged record; listing the " + std::to_string(out.size()) +
              " before it");
  return out;
}

}  // namespace peerstore::host
