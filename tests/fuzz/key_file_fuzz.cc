// Fuzz target: decode_key_file, the format of the key files read from the config and data
// directories (plain: network, device and user keys; passphrase-wrapped: the user key). The
// passphrase source refuses, so a wrapped input is parsed and its limits checked up to the
// point of deriving a key (Argon2 itself would make every input cost up to the caps).
#include "fuzz_support.h"
#include "keys/key_file.h"

using namespace peerstore;

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  Secret seed = fixed_secret(9);
  for (const char* kind : {"user", "device", "network"}) {
    Secret b = encode_key_file(kind, seed);
    auto back = decode_key_file(b.view(), kind, "seed", {});
    check(back.ok() && back->seed == seed, "a seed key file does not decode");
    seeds.add(std::string("key-") + kind, Bytes(b.view().begin(), b.view().end()));
  }
  Secret passphrase(to_bytes("fuzz"));
  auto wrapped = encode_wrapped_key_file("user", seed, passphrase, KdfLimits{1, 8192});
  check(wrapped.ok(), "cannot wrap a seed key");
  seeds.add("wrapped-user", Bytes(wrapped->view().begin(), wrapped->view().end()));
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  PassphraseSource none = []() -> Result<Secret> {
    return fail(Errc::permission, "no passphrase in the fuzzer");
  };
  for (const char* kind : {"user", "device", "network"}) {
    auto k = decode_key_file(ByteView(data, size), kind, "key file", none);
    if (!k) {
      fuzz::check(k.code() == Errc::corrupt || k.code() == Errc::permission,
                  "a key file error other than corrupt or permission");
      continue;
    }
    fuzz::check(!k->wrapped, "a wrapped key decoded without its passphrase");
    fuzz::check(k->seed.size() == 32, "a key file seed of the wrong size");
  }
  return 0;
}
