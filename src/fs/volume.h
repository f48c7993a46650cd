// Volume: one volume's committed state in a LocalStore: the head this computer's tree is at,
// the root block, commits that write new blocks plus a signed head in one transaction, and the
// moves live sync makes: fast-forward to a descendant head, or merge a concurrent one. Every
// head is also stored as a block under its own hash, so the ancestry of any head can be
// walked to find a merge base. Root block format (msgpack): [1, inode table root (bin64 | nil),
// created_ns]. Not thread-safe: the FileSystem serializes commits and syncs.
#pragma once

#include <atomic>
#include <memory>

#include "fs/block_io.h"
#include "fs/tree_merge.h"
#include "keys/signed_head.h"

namespace peerstore {

class Volume {
 public:
  // Opens at the winner of the heads that verify (the later time, then the larger hash); a
  // volume without heads starts empty. The other heads are merged by the first sync. New blocks
  // are sealed with `suite`; blocks of every suite are read.
  static Result<std::unique_ptr<Volume>> open(LocalStore& store, VolumeKeys keys,
                                              const PublicKey& device,
                                              BlockSuite suite = default_write_suite());

  BlockIo& io() { return io_; }
  const VolumeKeys& keys() const { return keys_; }
  // The committed inode table root; nullopt for a new volume.
  const std::optional<BlockPtr>& table_root() const { return table_root_; }
  bool is_new() const { return !head_.has_value(); }
  const std::optional<Head>& head() const { return head_; }
  uint64_t commits() const { return commits_; }

  // Errc::permission for a read-only volume (its keys have no signer), as for merge().
  // Seals a root block for `table_root` and writes it, every queued block and a new signed head
  // descending from the current one, atomically.
  Status commit(const std::optional<BlockPtr>& table_root);

  // The volume's heads in the store (with a TieredStore: this computer's and the network's),
  // each verified; a head that does not verify is logged once and skipped. Safe to call while
  // another thread commits.
  Result<std::vector<Head>> fetch_heads();
  // A head by hash (a parent), verified: Errc::corrupt if it is not a head of this volume.
  Result<Head> load_head(const Id256& hash);
  // The inode table a head points at.
  Result<std::optional<BlockPtr>> table_of(const Head& h);

  // Moves to `h`, a descendant of the current head or of a twin of it (fast-forward; twins:
  // fs/head_history.h), or a twin itself; Errc::corrupt if its ancestry does not hold every
  // commit the current head holds (a version vector that claims too much).
  Status adopt(const Head& h);
  // Back to an earlier head and its table in memory (the store keeps what was written): when
  // the tree cannot follow a head the volume moved to.
  void rewind(const Head& h, const std::optional<BlockPtr>& table) {
    head_ = h;
    table_root_ = table;
  }
  // Merges the concurrent head `other` into the current one: finds their merge base, merges
  // the trees and commits a head with both as parents. Conflict copies made are returned.
  Result<std::vector<MergeConflict>> merge(const Head& other);

 private:
  Volume(LocalStore& store, VolumeKeys keys, const PublicKey& device, BlockSuite suite);
  // Writes the root block, `h` as a block and the local head set {h}; then h is the head.
  Status write_head(Head h, const std::optional<BlockPtr>& table_root);
  Bytes root_block(const std::optional<BlockPtr>& table_root, int64_t created_ns) const;

  LocalStore& store_;
  VolumeKeys keys_;
  PublicKey device_;
  BlockIo io_;
  std::optional<Head> head_;
  std::optional<BlockPtr> table_root_;
  uint64_t commits_ = 0;
  std::atomic<bool> warned_bad_head_ = false;
};

// The device name conflict copies carry: the first 8 hex digits of its key.
std::string device_name(const PublicKey& device);

}  // namespace peerstore
