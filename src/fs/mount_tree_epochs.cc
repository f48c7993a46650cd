// MountTree: the epochs of a shared volume (docs/sharing.md, Revoke). While a revoke copies a
// volume its changes wait (hold_changes); once its link moved, the old volume answers ESTALE to
// changes (retire); and opening a later epoch retires the older ones open here and keeps the
// last in view when this computer wrote to it what the new one lacks (supersede).
#include <sodium.h>

#include "common/log.h"
#include "fs/mount_tree.h"
#include "fs/mount_tree_linked.h"

namespace peerstore {

int MountTree::hold_changes(const VolumeId& id, std::unique_lock<std::shared_mutex>* out) {
  Linked* v = nullptr;
  {
    std::lock_guard lock(mu_);
    if (auto it = volumes_.find(id); it != volumes_.end()) v = it->second.get();
  }
  *out = {};
  if (!v) return 0;
  std::unique_lock gate(v->gate);
  if (v->writers.load() > 0) return EBUSY;
  *out = std::move(gate);
  return 0;
}

void MountTree::retire(const VolumeId& id, bool held) {
  Linked* v = nullptr;
  {
    std::lock_guard lock(mu_);
    if (auto it = volumes_.find(id); it != volumes_.end()) v = it->second.get();
  }
  if (!v) return;
  {
    std::unique_lock gate(v->gate, std::defer_lock);  // no change is in flight from here on
    if (!held) gate.lock();
    v->retired = true;
  }
  if (v->fs) (void)v->fs->commit();
}

void MountTree::supersede(const Known& k, const GrantContent& next) {
  std::vector<VolumeId> older;
  FileSystem* holder;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, v] : volumes_)
      if (v->lineage == next.lineage && v->epoch < next.epoch && !v->retired) older.push_back(id);
    holder = k.in ? k.in->fs.get() : &home_;
  }
  for (auto& id : older) retire(id);  // what was written to them is committed first
  auto previous = opener_->unsaved_previous(next);
  if (!previous || !holder) return;
  std::string path;
  struct stat st;
  if (holder->path_of_dir(k.ino, &path) != 0 || holder->getattr(k.ino, &st) != 0) return;
  std::vector<std::string> parts;
  for (size_t at = 1; at < path.size();) {
    size_t slash = std::min(path.find('/', at), path.size());
    parts.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  if (parts.empty()) return;
  parts.back() = parts.back().substr(0, 200) + std::string(kBeforeRevoke);
  Bytes b = previous->encode();
  Secret link(b);
  sodium_memzero(b.data(), b.size());
  int e = holder->place_link(Caller{st.st_uid, st.st_gid}, parts, link,
                             ByteView(previous->volume.b.data(), previous->volume.b.size()), {},
                             previous->time_ns);
  std::string aside = path.substr(0, path.rfind('/') + 1) + parts.back();
  log::warn(path +
            " has new keys, and changes this computer made to it while they were made "
            "are not in them: " +
            (e == 0 ? "they are in " + aside + " (read-only): copy what you need from there"
                    : "showing the old version failed (errno " + std::to_string(e) + ")"));
}

}  // namespace peerstore
