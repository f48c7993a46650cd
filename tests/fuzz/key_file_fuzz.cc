// Fuzz target: decode_key_file, the format of the identity and device key files read from the
// config and data directories.
#include "common/msgpack_codec.h"
#include "fuzz_support.h"
#include "keys/key_file.h"

using namespace peerstore;

namespace {

// The bytes write_key_file writes (it only writes to a path, so the format is repeated here;
// make_seeds checks them against decode_key_file).
Bytes key_file_bytes(const std::string& magic, uint32_t version, const std::string& kind,
                     ByteView seed) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(4);
  pk.pack(magic);
  pk.pack(version);
  pk.pack(kind);
  mp::pack_bin(pk, seed);
  return mp::to_bytes(buf);
}

}  // namespace

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  Secret seed = fixed_secret(9);
  for (const char* kind : {"user", "device"}) {
    Bytes b = key_file_bytes("peerstore-key", 1, kind, seed.view());
    check(decode_key_file(b, kind, "seed").ok(), "a seed key file does not decode");
    seeds.add(std::string("key-") + kind, b);
  }
  seeds.add("version-2", key_file_bytes("peerstore-key", 2, "user", seed.view()));
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (const char* kind : {"user", "device"}) {
    auto k = decode_key_file(ByteView(data, size), kind, "key file");
    if (!k) {
      fuzz::check(k.code() == Errc::corrupt, "a key file error other than corrupt");
      continue;
    }
    fuzz::check(k->size() == 32, "a key file seed of the wrong size");
  }
  return 0;
}
