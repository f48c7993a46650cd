#include "host/linked_volumes.h"

#include <unistd.h>

#include "common/log.h"

namespace peerstore::host {

LinkedVolumes::LinkedVolumes(TieredStore& store, DhtClient& dht, PublicKey device,
                             FileSystem::Options opts, std::string conflicts, MountClaims* claims)
    : store_(store),
      dht_(dht),
      epochs_(store, device),
      device_(device),
      opts_(std::move(opts)),
      conflicts_(std::move(conflicts)),
      claims_(claims) {}

std::vector<FileSystem*> LinkedVolumes::writable() {
  std::lock_guard lock(mu_);
  return writable_;
}

void LinkedVolumes::set_removal_sink(std::function<void()> sink) {
  std::lock_guard lock(removals_->m);
  removals_->sink = std::move(sink);
}

Result<std::unique_ptr<FileSystem>> LinkedVolumes::open(const GrantContent& link) {
  VolumeKeys keys =
      VolumeKeys::read_only(link.volume, link.read_key.clone(), link.convergence.clone());
  FileSystem::Options opts = opts_;
  if (link.writable()) {
    PS_ASSIGN(keys, link.writer_keys());
    if (claims_) {
      // Its commits' new blocks are claimed from now on, and what it adopts before it does.
      PS_TRY(claims_->add_volume(keys));
      opts.before_adopt = [claims = claims_](Volume& v, const Head& h) {
        return claims->claim_version(v, h);
      };
    }
  }
  PS_ASSIGN(auto volume, Volume::open(store_, std::move(keys), device_));
  PS_ASSIGN(auto fs, FileSystem::open(std::move(volume), opts, Caller{getuid(), getgid()}));
  if (fs->volume().keys().writable()) {
    std::lock_guard lock(mu_);
    opened_writable_.insert(fs.get());
  }
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
  bool linked_writable = false;
  {
    std::lock_guard lock(mu_);
    wakers_[&fs] = w;
    linked_writable = opened_writable_.count(&fs) > 0;  // not the home volume's
    if (linked_writable) writable_.push_back(&fs);
  }
  if (linked_writable)
    fs.set_removal_sink([r = removals_](int64_t, uint64_t) {
      std::lock_guard lock(r->m);
      if (r->sink) r->sink();
    });
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
    std::erase(writable_, &fs);
    opened_writable_.erase(&fs);
    auto it = wakers_.find(&fs);
    if (it == wakers_.end()) return;
    w = std::move(it->second);
    wakers_.erase(it);
  }
  std::lock_guard lock(w->m);
  w->fs = nullptr;
}

}  // namespace peerstore::host
