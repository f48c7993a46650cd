// Fuzz target: BackupIndex::decode, the decoder of DATA/client/backup.index (the data directory
// is untrusted disk). Whatever decodes encodes to bytes that decode to the same index.
#include "client/backup_index.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  client::BackupIndex empty, two;
  two.set("/home/me/docs/a.txt",
          client::SourceStamp{2049, 131, 5120, 1764916614000000001, 1764916614000000002});
  two.set("/home/me/docs/sub/b", client::SourceStamp{2049, 99, 0, -1, 0});
  seeds.add("empty", empty.encode());
  seeds.add("two", two.encode());
  Bytes cut = two.encode();
  cut.resize(cut.size() - 4);
  seeds.add("cut", cut);
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto index = client::BackupIndex::decode(ByteView(data, size));
  if (!index) return 0;
  Bytes again = index->encode();
  auto back = client::BackupIndex::decode(again);
  fuzz::check(back.ok() && back->encode() == again, "an index that does not encode back");
  return 0;
}
