#include "host/linked_volumes.h"

#include <unistd.h>

#include "common/log.h"

namespace peerstore::host {

LinkedVolumes::LinkedVolumes(TieredStore& store, DhtClient& dht, PublicKey device,
                             FileSystem::Options opts, std::string conflicts)
    : store_(store),
      dht_(dht),
      epochs_(store, device),
      device_(device),
      opts_(std::move(opts)),
      conflicts_(std::move(conflicts)) {}

Result<std::unique_ptr<FileSystem>> LinkedVolumes::open(const GrantContent& link) {
  VolumeKeys keys =
      VolumeKeys::read_only(link.volume, link.read_key.clone(), link.convergence.clone());
  if (link.writable()) {
    PS_ASSIGN(keys, link.writer_keys());
  }
  PS_ASSIGN(auto volume, Volume::open(store_, std::move(keys), device_));
  PS_ASSIGN(auto fs, FileSystem::open(std::move(volume), opts_, Caller{getuid(), getgid()}));
  std::string folder = link.folder;
  fs->set_conflict_sink([file = conflicts_, folder](const ConflictRecord& r) {
    ConflictRecord in_share = r;
    in_share.path = "[shared " + folder + "]" + r.path;
    in_share.copy = "[shared " + folder + "]" + r.copy;
    if (auto st = append_conflict(file, in_share); !st)
      log::warn("cannot record the conflict in " + file + ": " + st.error().message());
  });
  return fs;
}

void LinkedVolumes::started(FileSystem& fs) {
  auto w = std::make_shared<Waker>();
  w->fs = &fs;
  {
    std::lock_guard lock(mu_);
    wakers_[&fs] = w;
  }
  fs.start_committer();
  fs.start_sync();
  dht_.watch_heads(fs.volume().keys().id(), [w] {
    std::lock_guard lock(w->m);
    if (w->fs) w->fs->wake_sync();
  });
}

void LinkedVolumes::closing(FileSystem& fs) {
  std::shared_ptr<Waker> w;
  {
    std::lock_guard lock(mu_);
    auto it = wakers_.find(&fs);
    if (it == wakers_.end()) return;
    w = std::move(it->second);
    wakers_.erase(it);
  }
  std::lock_guard lock(w->m);
  w->fs = nullptr;
}

}  // namespace peerstore::host
