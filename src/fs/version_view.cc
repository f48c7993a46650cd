#include "fs/version_view.h"

namespace peerstore {

VolumeKeys reader_keys(const VolumeKeys& k) {
  return VolumeKeys::read_only(k.id(), k.read_key.clone(), k.convergence.clone());
}

Result<std::unique_ptr<FileSystem>> open_version(LocalStore& store, const VolumeKeys& keys,
                                                 const PublicKey& device, const Head& head) {
  PS_ASSIGN(auto v, Volume::open(store, reader_keys(keys), device));
  PS_ASSIGN(auto table, v->table_of(head));
  v->rewind(head, table);
  FileSystem::Options o;
  return FileSystem::open(std::move(v), o, Caller{});
}

}  // namespace peerstore
