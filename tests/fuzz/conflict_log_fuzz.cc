// Fuzz target: decode_conflict_log and decode_brake_log, the decoders of a mount's record logs
// (the conflict log and the mass deletion log; common/record_log.h frames both; the data
// directory is untrusted disk). Checks that whatever decodes encodes back to the same records.
#include "fs/brake_log.h"
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
  Bytes brakes = encode_brake(
      BrakeRecord{"before-mass-delete-2026-12-06T16-03-52", 1765037032000000000, 1200, 3000});
  Bytes more = encode_brake(BrakeRecord{"x", -1, 0, 0});
  brakes.insert(brakes.end(), more.begin(), more.end());
  seeds.add("brakes", brakes);
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

  auto brakes = decode_brake_log(ByteView(data, size));
  fuzz::check(brakes.size() <= kMaxBrakeRecords, "more mass deletion records than the cap");
  Bytes brakes_again;
  for (auto& r : brakes) {
    Bytes e = encode_brake(r);
    brakes_again.insert(brakes_again.end(), e.begin(), e.end());
  }
  auto brakes_back = decode_brake_log(brakes_again, &damaged);
  fuzz::check(!damaged && brakes_back == brakes,
              "mass deletion records that do not encode back to themselves");
  return 0;
}
