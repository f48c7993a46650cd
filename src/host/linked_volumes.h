// LinkedVolumes: how peerstorefs opens and runs the volumes of its tree (MountTree::Opener):
// each linked volume over the same TieredStore, as this device, with the home volume's file
// system options; and for every volume, home included, what runs it once open: its committer,
// its live sync, and a watch of its heads on the ring that wakes the sync when a replica
// pushes news. A linked volume this computer may write claims its blocks like the home volume
// (docs/lifecycle.md, Ring collection): the mount's claims know it from its opening, live sync
// claims before it adopts, and the collector finds it through writable() and hears of its
// removals. Thread-safe: the tree opens volumes from FUSE threads, and watches fire on the
// DHT loop.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "dht/dht_client.h"
#include "fs/mount_tree.h"
#include "host/conflict_file.h"
#include "host/epoch_switch.h"
#include "host/mount_claims.h"
#include "store/tiered_store.h"

namespace peerstore::host {

class LinkedVolumes : public MountTree::Opener {
 public:
  // `store` and `dht` must outlive every volume opened. Conflict copies that live sync makes
  // in a linked volume are appended to `conflicts` (the mount's conflict log), their paths
  // led by the shared folder's name.
  // `claims` (null: the linked volumes claim nothing) must outlive them too.
  LinkedVolumes(TieredStore& store, DhtClient& dht, PublicKey device, FileSystem::Options opts,
                std::string conflicts, MountClaims* claims = nullptr);

  // The file systems of the linked volumes this computer writes, started and not closing.
  // Each stays valid until closing() is called for it (when the tree closes).
  std::vector<FileSystem*> writable();
  // What their removals and truncations wake (the collector's removed()); null: nothing. Set
  // to null before what it calls goes away.
  void set_removal_sink(std::function<void()> sink);

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
  // What the writable volumes' removal sinks call, while set.
  struct Removals {
    std::mutex m;
    std::function<void()> sink;
  };

  TieredStore& store_;
  DhtClient& dht_;
  EpochSwitch epochs_;
  PublicKey device_;
  FileSystem::Options opts_;
  std::string conflicts_;
  MountClaims* claims_;
  std::shared_ptr<Removals> removals_ = std::make_shared<Removals>();
  std::mutex mu_;
  std::map<FileSystem*, std::shared_ptr<Waker>> wakers_;
  std::set<const FileSystem*> opened_writable_;  // under mu_: by open(), not yet closing
  std::vector<FileSystem*> writable_;            // under mu_: of those, the started ones
};

}  // namespace peerstore::host
