// Volume: one volume's committed state in a LocalStore: the heads, the root block, and commits
// that write new blocks plus a signed head in one transaction. Root block format (msgpack):
// [1, inode table root (bin64 | nil), created_ns]. Not thread-safe: the FileSystem lock
// serializes commits.
#pragma once

#include <memory>

#include "fs/block_io.h"
#include "keys/signed_head.h"

namespace peerstore {

class Volume {
 public:
  // Loads the newest head that verifies; a volume without heads starts empty.
  static Result<std::unique_ptr<Volume>> open(LocalStore& store, VolumeKeys keys,
                                              const PublicKey& device);

  BlockIo& io() { return io_; }
  const VolumeKeys& keys() const { return keys_; }
  // The committed inode table root; nullopt for a new volume.
  const std::optional<BlockPtr>& table_root() const { return table_root_; }
  bool is_new() const { return !head_.has_value(); }
  uint64_t commits() const { return commits_; }

  // Seals a root block for `table_root` and writes it, every queued block and a new signed head
  // descending from the current one, atomically.
  Status commit(const std::optional<BlockPtr>& table_root);

 private:
  Volume(LocalStore& store, VolumeKeys keys, const PublicKey& device);

  LocalStore& store_;
  VolumeKeys keys_;
  PublicKey device_;
  BlockIo io_;
  std::optional<Head> head_;
  std::optional<BlockPtr> table_root_;
  uint64_t commits_ = 0;
};

}  // namespace peerstore
