// Fuzz target: ClaimBook::decode, the record of one claim in a device's claims table (read
// from its LMDB file, so untrusted): 5 bytes or Errc::corrupt, and what decodes encodes back to
// the same bytes.
#include "fuzz_support.h"
#include "store/claim_book.h"

using namespace peerstore;

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  seeds.add("claiming-0", ClaimBook::encode({0, ClaimState::claiming}));
  seeds.add("live-1", ClaimBook::encode({1, ClaimState::live}));
  seeds.add("cancelling-big", ClaimBook::encode({0xfffffffe, ClaimState::cancelling}));
  seeds.add("cancelled-7", ClaimBook::encode({7, ClaimState::cancelled}));
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto e = ClaimBook::decode(ByteView(data, size));
  if (!e) {
    fuzz::check(e.code() == Errc::corrupt, "a claim record error other than corrupt");
    return 0;
  }
  Bytes again = ClaimBook::encode(*e);
  fuzz::check(again == Bytes(data, data + size), "a claim record that does not encode back");
  return 0;
}
