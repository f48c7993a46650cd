// Fuzz target: UserId::parse, the id of another user that a person pastes
// (`peerstore-share grant PATH USER`). An id that parses must format to an id that parses to
// the same key; anything else is refused as invalid or corrupt.
#include <algorithm>
#include <cctype>

#include "fuzz_support.h"
#include "keys/user_id.h"

using namespace peerstore;

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  PublicKey key;
  key.b.fill(0x42);
  std::string id = UserId::format(key);
  seeds.add("id", to_bytes(id));
  std::string typo = id;
  typo[10] = typo[10] == 'a' ? 'b' : 'a';
  seeds.add("typo", to_bytes(typo));
  std::string upper = id;
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return char(std::toupper(c)); });
  seeds.add("spaced-upper", to_bytes("  " + upper + "\n"));
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto key = UserId::parse(in);
  if (!key) {
    fuzz::check(key.code() == Errc::invalid || key.code() == Errc::corrupt,
                "a user id error other than invalid or corrupt");
    return 0;
  }
  std::string again = UserId::format(*key);
  fuzz::check(again.size() == UserId::kLength, "a formatted user id of the wrong length");
  auto back = UserId::parse(again);
  fuzz::check(back.ok() && *back == *key, "a formatted user id does not parse to its key");
  return 0;
}
