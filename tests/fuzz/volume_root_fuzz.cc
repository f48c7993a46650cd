// Fuzz target: the root block of a volume (Volume::open's decoder), the block a verified head
// points at. The input is the root block's plaintext: the target seals it into an in-memory
// store under a head of the fixed volume, opens the volume, and checks that a commit of the
// table root it read reopens to the same table root.
#include "fs/volume.h"
#include "fuzz_support.h"
#include "store/head_list_codec.h"

using namespace peerstore;

namespace peerstore::fuzz {
// Root blocks as Volume::commit writes them: an empty volume and one with an inode table (their
// creation time differs from one regeneration to the next).
void make_seeds(Seeds& seeds) {
  fuzz::clear(fuzz::shared_store());
  auto v =
      Volume::open(fuzz::shared_store(),
                   VolumeKeys{SigningKey::from_seed(fixed_volume().signer->seed()),
                              fixed_volume().read_key.clone(), fixed_volume().convergence.clone()},
                   fixed_device());
  check(v.ok(), "seed volume open");
  BlockPtr table;
  table.id.b.fill(5);
  table.key.fill(6);
  for (auto root : {std::optional<BlockPtr>(), std::optional<BlockPtr>(table)}) {
    check((*v)->commit(root).ok(), "seed volume commit");
    auto heads = fuzz::shared_store().heads(fixed_volume().id());
    check(heads.ok() && heads->size() == 1, "seed volume heads");
    auto h = Head::decode(heads->front());
    auto ptr = h->open_root(fixed_volume().read_key);
    check(ptr.ok(), "seed volume root");
    seeds.add(root ? "with-table" : "empty", *(*v)->io().read(*ptr));
  }
  fuzz::clear(fuzz::shared_store());
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const VolumeKeys& keys = fuzz::fixed_volume();
  auto copy_keys = [&] {
    return VolumeKeys{SigningKey::from_seed(keys.signer->seed()), keys.read_key.clone(),
                      keys.convergence.clone()};
  };
  fuzz::clear(fuzz::shared_store());
  BlockPtr root = fuzz::add_sealed(fuzz::shared_store(), ByteView(data, size));
  Head h = Head::make(keys, root, {{fuzz::fixed_device(), 1}}, {}, fuzz::fixed_device(), 1);
  fuzz::check(fuzz::shared_store().set_heads(keys.id(), {h.encode()}).ok(), "storing the head");
  std::optional<BlockPtr> table;
  {
    auto v = Volume::open(fuzz::shared_store(), copy_keys(), fuzz::fixed_device());
    if (!v) {
      fuzz::check(v.code() == Errc::corrupt, "a root block error other than corrupt");
      return 0;
    }
    fuzz::check(!(*v)->is_new(), "a volume with a head opens as new");
    table = (*v)->table_root();
    fuzz::check((*v)->commit(table).ok(), "committing an opened volume fails");
  }
  auto again = Volume::open(fuzz::shared_store(), copy_keys(), fuzz::fixed_device());
  fuzz::check(again.ok() && (*again)->table_root() == table,
              "a committed volume reopens to another table root");
  return 0;
}
