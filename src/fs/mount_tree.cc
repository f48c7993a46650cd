#include "fs/mount_tree.h"

#include <fcntl.h>

#include "common/log.h"
#include "fs/mount_tree_linked.h"

namespace peerstore {

namespace {

using mount_tree_numbers::kHigh;
using mount_tree_numbers::mix;
constexpr uint64_t kRoot = NodeTable::kRootIno;

}  // namespace

MountTree::MountTree(FileSystem& home, Opener* opener) : home_(home), opener_(opener) {}

MountTree::~MountTree() {
  (void)close();
}

Status MountTree::close() {
  std::vector<Linked*> open;
  {
    std::lock_guard lock(mu_);
    if (closed_) return {};
    closed_ = true;
    for (auto& [id, v] : volumes_)
      if (v->fs) open.push_back(v.get());
    for (auto& [head, v] : versions_) v->fs.reset();  // nothing to commit: read-only
  }
  Status result;
  for (Linked* v : open) {
    if (opener_) opener_->closing(*v->fs);
    v->fs->set_notifier(nullptr);
    if (int e = v->fs->commit(); e != 0 && result)
      result = fail(errc_of_errno(e), "the final commit of a linked volume failed");
    v->fs.reset();
  }
  return result;
}

void MountTree::set_notifier(FileSystem::Notifier n) {
  {
    std::lock_guard lock(notify_mu_);
    notifier_ = n;
  }
  home_.set_notifier(std::move(n));  // the home volume's numbers are the kernel's
}

void MountTree::notify(Linked* in, const FileSystem::Invalidation& inv) {
  FileSystem::Invalidation out;
  {
    std::lock_guard lock(mu_);
    auto k = [&](uint64_t ino) { return kernel_ino(in, ino); };
    for (uint64_t ino : inv.inodes)
      if (uint64_t n = k(ino)) out.inodes.push_back(n);
    for (auto& [dir, name] : inv.entries)
      if (uint64_t n = k(dir)) out.entries.emplace_back(n, name);
    for (auto g : inv.grown)
      if (uint64_t n = k(g.ino)) out.grown.push_back({n, g.size, g.last});
  }
  std::lock_guard lock(notify_mu_);
  if (notifier_) notifier_(out);
}

uint64_t MountTree::kernel_ino(Linked* in, uint64_t ino) const {
  if (!in) return ino;
  if (ino == kRoot) return in->shown_at;
  return kHigh | mix(ino ^ in->salt);
}

int MountTree::track(Linked* in, uint64_t ino, bool link, uint64_t* kino) {
  uint64_t k = kernel_ino(in, ino);
  *kino = k;
  if (k == kSnapshotsIno) return EIO;  // odds 2^-63, but never confused with .snapshots/
  if (in && ino == kRoot) {
    // The linked volume's root seen from inside it ("." or ".."): the link's number.
    auto it = known_.find(k);
    if (k == 0 || it == known_.end()) return EIO;
    ++it->second.nlookup;
    return 0;
  }
  auto it = known_.find(k);
  if (!in && !link) {
    // A home inode is not tracked; one whose number a linked volume's inode holds is refused.
    if (it != known_.end() && it->second.in != nullptr) return EIO;
    return 0;
  }
  if (it == known_.end()) {
    it = known_.emplace(k, Known{in, ino, 0, link}).first;
    tracked_.store(known_.size());
  } else if (it->second.in != in || it->second.ino != ino) {
    log::error("two inodes would share kernel inode number " + std::to_string(k) +
               "; the second answers EIO");
    return EIO;
  }
  it->second.link = link;
  ++it->second.nlookup;
  return 0;
}

int MountTree::enter(Linked* in, EntryOut* out) {
  FileSystem& fs = in ? *in->fs : home_;
  if (!in && !out->link && out->ino < kHigh) return 0;  // the home fast path: nothing to track
  uint64_t k;
  int e;
  {
    std::lock_guard lock(mu_);
    e = track(in, out->ino, out->link, &k);
  }
  if (e) {
    fs.forget(out->ino, 1);
    return e;
  }
  out->ino = k;
  out->attr.st_ino = k;
  if (out->link) {
    // The kernel sees the linked volume's root here: its attributes, once it opens.
    Route r;
    struct stat st;
    if (route(k, &r) == 0 && r.fs->getattr(r.ino, &st) == 0) {
      st.st_ino = k;
      out->attr = st;
    }
  }
  return 0;
}

int MountTree::route(uint64_t kino, Route* out) {
  // .snapshots/ is no volume's: what it answers is handled before routing; the rest, changes.
  if (kino == kSnapshotsIno) return EROFS;
  // Until a link is crossed nothing is tracked, and every number is the home volume's.
  if (tracked_.load() == 0 && kino < kHigh) {
    *out = Route{&home_, nullptr, kino};
    return 0;
  }
  Known k;
  {
    std::lock_guard lock(mu_);
    if (auto s = shown_.find(kino); s != shown_.end()) {
      if (!s->second->fs) return EIO;
      *out = Route{s->second->fs.get(), s->second, kRoot};
      return 0;
    }
    auto it = known_.find(kino);
    if (it == known_.end()) {
      *out = Route{&home_, nullptr, kino};
      return 0;
    }
    k = it->second;
    if (k.in && !k.in->fs) return EIO;  // closed
    if (!k.link) {
      *out = Route{k.in ? k.in->fs.get() : &home_, k.in, k.ino};
      return 0;
    }
  }
  Linked* v;
  if (int e = open_link(kino, k, &v)) return e;
  *out = Route{v->fs.get(), v, kRoot};
  return 0;
}

int MountTree::open_link(uint64_t kino, const Known& k, Linked** out) {
  std::lock_guard opening(open_mu_);
  auto refuse = [&](const std::string& why) {
    std::lock_guard lock(mu_);
    if (warned_.insert(kino).second) log::warn("cannot open the volume linked here: " + why);
    return EIO;
  };
  FileSystem* holder;
  {
    std::lock_guard lock(mu_);
    if (closed_) return EIO;
    if (auto s = shown_.find(kino); s != shown_.end()) {  // opened meanwhile
      *out = s->second;
      return 0;
    }
    holder = k.in ? k.in->fs.get() : &home_;
  }
  std::shared_ptr<const Secret> bytes;
  if (int e = holder->link_of(k.ino, &bytes)) return e == EINVAL ? ENOENT : e;
  auto content = GrantContent::decode(ByteView(bytes->data(), bytes->size()));
  if (!content) return refuse(content.error().message());
  bool elsewhere = false;
  {
    std::lock_guard lock(mu_);
    if (auto it = volumes_.find(content->volume); it != volumes_.end()) {
      Linked* v = it->second.get();
      // A retired volume follows its link: what is left of it shows where it is kept.
      elsewhere =
          v->shown_at != 0 && v->shown_at != kino && known_.count(v->shown_at) && !v->retired;
      if (!elsewhere) {
        if (v->shown_at != 0) shown_.erase(v->shown_at);
        v->shown_at = kino;
        shown_[kino] = v;
        *out = v;
        return 0;
      }
    }
  }
  if (elsewhere) return refuse("the volume already shows at another place of this mount");
  if (!opener_) return refuse("this mount opens no linked volumes");
  auto fs = opener_->open(*content);
  if (!fs) return refuse(fs.error().message());
  auto v = std::make_unique<Linked>();
  v->id = content->volume;
  v->link = bytes;
  v->writable = content->writable();
  v->lineage = content->lineage;
  v->epoch = content->epoch;
  for (int i = 0; i < 8; ++i) v->salt = (v->salt << 8) | v->id.b[i];
  v->fs = std::move(*fs);
  Linked* raw = v.get();
  raw->fs->set_notifier([this, raw](const FileSystem::Invalidation& inv) { notify(raw, inv); });
  {
    std::lock_guard lock(mu_);
    if (closed_) return EIO;
    raw->shown_at = kino;
    shown_[kino] = raw;
    volumes_.emplace(raw->id, std::move(v));
  }
  opener_->started(*raw->fs);
  if (content->epoch > 0) supersede(k, *content);
  *out = raw;
  return 0;
}

size_t MountTree::linked_volumes() const {
  std::lock_guard lock(mu_);
  return volumes_.size();
}

int MountTree::commit(uint64_t ino) {
  if (ino == kSnapshotsIno) return 0;
  if (ino != 0) {
    Route r;
    if (int e = route(ino, &r)) return e;
    return r.vol && r.vol->snapshot ? 0 : r.fs->commit();
  }
  std::vector<FileSystem*> all{&home_};
  {
    std::lock_guard lock(mu_);
    for (auto& [id, v] : volumes_)
      if (v->fs) all.push_back(v->fs.get());
  }
  int first = 0;
  for (FileSystem* fs : all)
    if (int e = fs->commit(); e && !first) first = e;
  return first;
}

void MountTree::forget(uint64_t ino, uint64_t nlookup) {
  if (ino == kSnapshotsIno) return;
  Known k;
  {
    std::lock_guard lock(mu_);
    auto it = known_.find(ino);
    if (it == known_.end()) {
      k.ino = 0;
    } else {
      k = it->second;
      it->second.nlookup -= std::min(nlookup, it->second.nlookup);
      if (it->second.nlookup == 0) {
        if (auto s = shown_.find(ino); s != shown_.end()) {
          s->second->shown_at = 0;
          shown_.erase(s);
        }
        known_.erase(it);
        tracked_.store(known_.size());
      }
    }
  }
  if (k.ino == 0) return home_.forget(ino, nlookup);
  if (k.in && k.in->snapshot && k.ino == kRoot) return;  // its file system counted no lookup
  FileSystem* fs = k.in ? k.in->fs.get() : &home_;
  if (fs) fs->forget(k.ino, nlookup);
}

// Every operation below: route, call, and put kernel numbers into what comes back.

template <typename Fn>
int MountTree::on(uint64_t kino, Fn&& fn, bool writes) {
  Route r;
  if (int e = route(kino, &r)) return e;
  if (!writes || !r.vol) return fn(*r.fs, r.ino);
  if (!r.vol->writable) return EROFS;
  std::shared_lock gate(r.vol->gate);
  if (r.vol->retired) return ESTALE;
  return fn(*r.fs, r.ino);
}

template <typename Fn>
int MountTree::make(uint64_t parent, EntryOut* out, Fn&& fn, bool writes) {
  Route r;
  if (int e = route(parent, &r)) return e;
  if (writes && r.vol) {
    if (!r.vol->writable) return EROFS;
    std::shared_lock gate(r.vol->gate);
    if (r.vol->retired) return ESTALE;
    if (int e = fn(*r.fs, r.ino)) return e;
  } else if (int e = fn(*r.fs, r.ino)) {
    return e;
  }
  return enter(r.vol, out);
}

int MountTree::lookup(uint64_t parent, std::string_view name, EntryOut* out) {
  if (reserved(parent, name)) {
    *out = EntryOut{};
    snapshots_attr(&out->attr);
    out->ino = kSnapshotsIno;
    return 0;
  }
  if (parent == kSnapshotsIno) return snapshots_ ? snapshots_lookup(name, out) : ENOENT;
  return make(parent, out, [&](FileSystem& fs, uint64_t p) { return fs.lookup(p, name, out); });
}

int MountTree::getattr(uint64_t ino, struct stat* out) {
  if (ino == kSnapshotsIno) return snapshots_attr(out), 0;
  int e = on(ino, [&](FileSystem& fs, uint64_t i) { return fs.getattr(i, out); });
  out->st_ino = ino;
  return e;
}

int MountTree::setattr(uint64_t ino, const struct stat& in, int to_set, struct stat* out) {
  int e = on(
      ino, [&](FileSystem& fs, uint64_t i) { return fs.setattr(i, in, to_set, out); }, true);
  out->st_ino = ino;
  return e;
}

int MountTree::readlink(uint64_t ino, std::string* out) {
  return on(ino, [&](FileSystem& fs, uint64_t i) { return fs.readlink(i, out); });
}

int MountTree::mknod(const Caller& c, uint64_t parent, std::string_view name, mode_t mode,
                     dev_t rdev, EntryOut* out) {
  if (reserved(parent, name)) return EEXIST;
  return make(
      parent, out,
      [&](FileSystem& fs, uint64_t p) { return fs.mknod(c, p, name, mode, rdev, out); }, true);
}

int MountTree::mkdir(const Caller& c, uint64_t parent, std::string_view name, mode_t mode,
                     EntryOut* out) {
  if (reserved(parent, name)) return EEXIST;
  return make(
      parent, out, [&](FileSystem& fs, uint64_t p) { return fs.mkdir(c, p, name, mode, out); },
      true);
}

int MountTree::symlink(const Caller& c, std::string_view target, uint64_t parent,
                       std::string_view name, EntryOut* out) {
  if (reserved(parent, name)) return EEXIST;
  return make(
      parent, out, [&](FileSystem& fs, uint64_t p) { return fs.symlink(c, target, p, name, out); },
      true);
}

int MountTree::link(uint64_t ino, uint64_t newparent, std::string_view newname, EntryOut* out) {
  if (reserved(newparent, newname)) return EEXIST;
  Route from;
  if (int e = route(ino, &from)) return e;
  return make(
      newparent, out,
      [&](FileSystem& fs, uint64_t p) {
        return &fs != from.fs ? EXDEV : fs.link(from.ino, p, newname, out);
      },
      true);
}

int MountTree::unlink(uint64_t parent, std::string_view name) {
  if (reserved(parent, name)) return EBUSY;
  return on(
      parent, [&](FileSystem& fs, uint64_t p) { return fs.unlink(p, name); }, true);
}

int MountTree::rmdir(uint64_t parent, std::string_view name) {
  if (reserved(parent, name)) return EBUSY;
  return on(
      parent, [&](FileSystem& fs, uint64_t p) { return fs.rmdir(p, name); }, true);
}

int MountTree::rename(uint64_t parent, std::string_view name, uint64_t newparent,
                      std::string_view newname, unsigned flags) {
  if (reserved(parent, name) || reserved(newparent, newname)) return EBUSY;
  Route from;
  if (int e = route(parent, &from)) return e;
  return on(
      newparent,
      [&](FileSystem& fs, uint64_t p) {
        return &fs != from.fs ? EXDEV : fs.rename(from.ino, name, p, newname, flags);
      },
      true);
}

namespace {
bool opens_for_writing(int flags) {
  return (flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_APPEND));
}
}  // namespace

int MountTree::open(uint64_t ino, int flags) {
  Route r;
  if (int e = route(ino, &r)) return e;
  if (!opens_for_writing(flags) || !r.vol) return r.fs->open(r.ino, flags);
  if (!r.vol->writable) return EROFS;
  std::shared_lock gate(r.vol->gate);
  if (r.vol->retired) return ESTALE;
  int e = r.fs->open(r.ino, flags);
  if (e == 0) r.vol->writers++;  // under the gate: hold_changes() sees it
  return e;
}

int MountTree::create(const Caller& c, uint64_t parent, std::string_view name, mode_t mode,
                      int flags, EntryOut* out) {
  if (reserved(parent, name)) return EEXIST;
  Route r;
  if (int e = route(parent, &r)) return e;
  std::shared_lock<std::shared_mutex> gate;
  if (r.vol) {
    if (!r.vol->writable) return EROFS;
    gate = std::shared_lock(r.vol->gate);
    if (r.vol->retired) return ESTALE;
  }
  if (int e = r.fs->create(c, r.ino, name, mode, flags, out)) return e;
  if (int e = enter(r.vol, out)) {
    // Created and opened, but refused a kernel number (enter() forgot it): close it again.
    if (out->ino) r.fs->release(out->ino);
    return e;
  }
  if (r.vol) r.vol->writers++;
  return 0;
}

int MountTree::release(uint64_t ino, int flags) {
  Route r;
  if (int e = route(ino, &r)) return e;
  if (r.vol && opens_for_writing(flags) && r.vol->writers.load() > 0) r.vol->writers--;
  return r.fs->release(r.ino);
}

int MountTree::flush(uint64_t ino) {
  return on(ino, [&](FileSystem& fs, uint64_t i) { return fs.flush(i); });
}

int MountTree::read(uint64_t ino, uint64_t off, size_t size, Bytes* out) {
  return on(ino, [&](FileSystem& fs, uint64_t i) { return fs.read(i, off, size, out); });
}

ssize_t MountTree::write(uint64_t ino, uint64_t off, ByteView data) {
  Route r;
  if (int e = route(ino, &r)) return -e;
  if (r.vol && !r.vol->writable) return -EROFS;
  return r.fs->write(r.ino, off, data);
}

int MountTree::fallocate(uint64_t ino, int mode, uint64_t off, uint64_t len) {
  return on(
      ino, [&](FileSystem& fs, uint64_t i) { return fs.fallocate(i, mode, off, len); }, true);
}

int MountTree::opendir(uint64_t ino) {
  if (ino == kSnapshotsIno) return 0;
  return on(ino, [&](FileSystem& fs, uint64_t i) { return fs.opendir(i); });
}

int MountTree::readdir(uint64_t ino, uint64_t cookie, bool plus, const TreeEmit& emit) {
  if (ino == kSnapshotsIno) return snapshots_readdir(cookie, emit);
  Route r;
  if (int e = route(ino, &r)) return e;
  // Entries the file system counted a lookup of that the kernel gets without attributes:
  // forgotten again once the file system's lock is released.
  std::vector<uint64_t> drop;
  int e = r.fs->readdir_links(
      r.ino, cookie, plus,
      [&](std::string_view name, const struct stat& st, uint64_t next, bool link) {
        struct stat out = st;
        if (name == "." || name == "..") {
          if (name == ".") {
            out.st_ino = ino;
          } else if (r.vol && r.vol->snapshot && r.ino == kRoot) {
            out.st_ino = kSnapshotsIno;
          } else if (r.vol) {
            std::lock_guard lock(mu_);
            out.st_ino = kernel_ino(r.vol, st.st_ino);
          }
          return emit(name, out, next, false);
        }
        if (!r.vol && !link && st.st_ino < kHigh) return emit(name, out, next, plus);
        if (!plus) {
          std::lock_guard lock(mu_);
          out.st_ino = kernel_ino(r.vol, st.st_ino);
          return emit(name, out, next, false);
        }
        uint64_t k;
        bool clash;
        {
          std::lock_guard lock(mu_);
          k = kernel_ino(r.vol, st.st_ino);
          auto it = known_.find(k);
          clash = it != known_.end() && (it->second.in != r.vol || it->second.ino != st.st_ino);
        }
        out.st_ino = k;
        // A link is looked up by name (opening its volume), never entered from a listing.
        bool attrs = !link && !clash;
        if (!emit(name, out, next, attrs)) return false;
        if (!attrs) {
          drop.push_back(st.st_ino);
          return true;
        }
        std::lock_guard lock(mu_);
        if (track(r.vol, st.st_ino, false, &k) != 0) drop.push_back(st.st_ino);
        return true;
      });
  for (uint64_t vino : drop) r.fs->forget(vino, 1);
  return e;
}

int MountTree::statfs(struct statvfs* out) {
  return home_.statfs(out);  // every volume lives in the same store
}

int MountTree::where(uint64_t kino, Where* out) {
  Route r;
  if (int e = route(kino, &r)) return e;
  if (r.vol && r.vol->snapshot) return EROFS;  // nothing to share or revoke in a past version
  *out = Where{
      r.fs, r.ino, r.vol == nullptr, r.vol && r.ino == kRoot, false, r.vol ? r.vol->link : nullptr};
  if (out->linked_root) {
    std::lock_guard lock(mu_);
    auto it = known_.find(kino);
    out->home_link = it != known_.end() && it->second.in == nullptr;
  }
  return 0;
}

int MountTree::setxattr(uint64_t ino, std::string_view name, ByteView value, int flags) {
  if (name.substr(0, kControlPrefix.size()) == kControlPrefix)
    return control_ ? control_->request(*this, ino, name, value) : EOPNOTSUPP;
  return on(
      ino, [&](FileSystem& fs, uint64_t i) { return fs.setxattr(i, name, value, flags); }, true);
}

int MountTree::getxattr(uint64_t ino, std::string_view name, size_t size, Bytes* out,
                        size_t* out_size) {
  if (name.substr(0, kControlPrefix.size()) == kControlPrefix) {
    if (!control_) return EOPNOTSUPP;
    std::string text;
    if (int e = control_->query(*this, ino, name, &text)) return e;
    *out_size = text.size();
    if (size == 0) return 0;
    if (size < text.size()) return ERANGE;
    *out = Bytes(text.begin(), text.end());
    return 0;
  }
  if (ino == kSnapshotsIno) return ENODATA;
  return on(ino,
            [&](FileSystem& fs, uint64_t i) { return fs.getxattr(i, name, size, out, out_size); });
}

int MountTree::listxattr(uint64_t ino, size_t size, Bytes* out, size_t* out_size) {
  if (ino == kSnapshotsIno) return *out_size = 0, 0;
  return on(ino, [&](FileSystem& fs, uint64_t i) { return fs.listxattr(i, size, out, out_size); });
}

int MountTree::removexattr(uint64_t ino, std::string_view name) {
  return on(
      ino, [&](FileSystem& fs, uint64_t i) { return fs.removexattr(i, name); }, true);
}

}  // namespace peerstore
