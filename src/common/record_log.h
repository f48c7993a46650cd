// Record logs: small append-only files of framed records (the conflict log, the mass deletion
// log), each record a 4-byte big-endian length and its body. One write per record with
// O_APPEND keeps records whole between writers; a crash can cut the last one short, which the
// reader reports as a damaged tail. Stateless functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

// `body` framed.
Bytes frame_record(ByteView body);
// The bodies framed in `log`, oldest first, at most `max_records` (the newest). A frame longer
// than `max_body` or past the end ends the log there, and `damaged`, if given, says so.
std::vector<ByteView> split_records(ByteView log, size_t max_body, size_t max_records,
                                    bool* damaged = nullptr);

// The records of `log` decoded by `decode` (ByteView -> Result<T>), oldest first, as
// split_records gives them; a body that does not decode ends the log there, as damage.
template <class T, class Decode>
std::vector<T> decode_records(ByteView log, size_t max_body, size_t max_records, Decode decode,
                              bool* damaged = nullptr) {
  bool cut = false;
  std::vector<T> out;
  for (ByteView body : split_records(log, max_body, max_records, &cut)) {
    Result<T> r = decode(body);
    if (!r) {
      cut = true;
      break;
    }
    out.push_back(std::move(*r));
  }
  if (damaged) *damaged = cut;
  return out;
}

// Appends one framed record to `file` (made with mode 0600 if missing), in one write.
Status append_record(const std::string& file, ByteView framed);
// The first `max_bytes` of `file` (nothing read is trusted: a larger file is read up to
// there); empty if it does not exist.
Result<Bytes> read_record_log(const std::string& file, size_t max_bytes);

}  // namespace peerstore
