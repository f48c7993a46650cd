// Fuzz target: decode_conflict_log, the decoder of a mount's conflict log file (the data
// directory is untrusted disk). Checks that whatever decodes encodes back to the same records.
#include "fs/conflict_log.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  ConflictRecord a{"/docs/a.txt", "/docs/a.conflict-bc7cbcb5-20261205-063654.txt", "65e8f9b0",
                   "bc7cbcb5", 1764916614000000000};
  ConflictRecord b{"/x", "/x.conflict-00000000-19700101-000000", "", "", -1};
  Bytes one = encode_conflict(a);
  Bytes two = one;
  Bytes rb = encode_conflict(b);
  two.insert(two.end(), rb.begin(), rb.end());
  seeds.add("one", one);
  seeds.add("two", two);
  seeds.add("cut", Bytes(two.begin(), two.end() - 3));
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto records = decode_conflict_log(ByteView(data, size));
  fuzz::check(records.size() <= kMaxConflictRecords, "more records than the cap");
  Bytes again;
  for (auto& r : records) {
    Bytes e = encode_conflict(r);
    again.insert(again.end(), e.begin(), e.end());
  }
  bool damaged = true;
  auto back = decode_conflict_log(again, &damaged);
  fuzz::check(!damaged && back == records, "records that do not encode back to themselves");
  return 0;
}
