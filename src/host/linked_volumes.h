// LinkedVolumes: how peerstorefs opens and runs the volumes of its tree (MountTree::Opener):
// each linked volume over the same TieredStore, as this device, with the home volume's file
// system options; and for every volume, home included, what runs it once open: its committer,
// its live sync, and a watch of its heads on the ring that wakes the sync when a replica
// pushes news. Thread-safe: the tree opens volumes from FUSE threads, and watches fire on the
// DHT loop.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include "dht/dht_client.h"
#include "fs/mount_tree.h"
#include "host/conflict_file.h"
#include "host/epoch_switch.h"
#include "store/tiered_store.h"

namespace peerstore::host {

class LinkedVolumes : public MountTree::Opener {
 public:
  // `store` and `dht` must outlive every volume opened. Conflict copies that live sync makes
  // in a linked volume are appended to `conflicts` (the mount's conflict log), their paths
  // led by the shared folder's name.
  LinkedVolumes(TieredStore& store, DhtClient& dht, PublicKey device, FileSystem::Options opts,
                std::string conflicts);

  // Without the signing key (a read-only member) the volume opens read-only: it never
  // commits, and the tree answers EROFS below its link.
  Result<std::unique_ptr<FileSystem>> open(const GrantContent& link) override;
  void started(FileSystem& fs) override;
  std::optional<GrantContent> unsaved_previous(const GrantContent& next) override {
    return epochs_.unsaved(next);
  }
  void closing(FileSystem& fs) override;

 private:
  // What a pushed head wakes: the volume's sync, while it runs (closing() clears it; the
  // DHT's watch outlives it).
  struct Waker {
    std::mutex m;
    FileSystem* fs = nullptr;
  };

  TieredStore& store_;
  DhtClient& dht_;
  EpochSwitch epochs_;
  PublicKey device_;
  FileSystem::Options opts_;
  std::string conflicts_;
  std::mutex mu_;
  std::map<FileSystem*, std::shared_ptr<Waker>> wakers_;
};

}  // namespace peerstore::host
