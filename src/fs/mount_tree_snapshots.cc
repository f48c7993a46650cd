// MountTree's .snapshots/ (mount_tree.h, Snapshots): a directory of no volume, at a fixed
// kernel number, whose entries are past versions of the home volume, each routed like a
// linked volume (a Linked marked `snapshot`, never writable) whose root shows at a number
// fixed by its head.
#include <sys/stat.h>

#include "common/log.h"
#include "fs/mount_tree.h"
#include "fs/mount_tree_linked.h"

namespace peerstore {

namespace {

using mount_tree_numbers::kHigh;
using mount_tree_numbers::mix;
constexpr uint64_t kRoot = NodeTable::kRootIno;

// The salt of an entry's inode numbers: from its head, and for a pinned entry its name too.
uint64_t salt_of(const Id256& head, const std::string& pin) {
  uint64_t s = 0;
  for (int i = 0; i < 8; ++i) s = (s << 8) | head.b[i];
  uint64_t h = 14695981039346656037ull;  // FNV-1a of the pin's name
  for (unsigned char c : pin) h = (h ^ c) * 1099511628211ull;
  return pin.empty() ? s : s ^ mix(h);
}

// Where a version's root shows: kernel_ino() gives inode i of it kHigh | mix(i ^ salt), so
// this is the number of inode ~0, which no volume has (their numbers are below 2^63).
uint64_t root_number(uint64_t salt) {
  return kHigh | mix(~uint64_t(0) ^ salt);
}

}  // namespace

bool MountTree::reserved(uint64_t parent, std::string_view name) const {
  return snapshots_ && parent == kRoot && name == kSnapshotsName;
}

void MountTree::snapshots_attr(struct stat* out) {
  struct stat root {};
  (void)home_.getattr(kRoot, &root);
  *out = {};
  out->st_ino = kSnapshotsIno;
  out->st_mode = S_IFDIR | 0555;
  out->st_nlink = 2;
  out->st_uid = root.st_uid;
  out->st_gid = root.st_gid;
  out->st_atim = out->st_mtim = out->st_ctim = root.st_mtim;
  out->st_blksize = root.st_blksize;
}

int MountTree::snapshots_lookup(std::string_view name, EntryOut* out) {
  std::optional<Id256> head;
  std::string pin;
  for (const Snapshots::Entry& e : snapshots_->list())
    if (e.name == name) head = e.head, pin = e.pinned ? e.name : std::string();
  if (!head) return ENOENT;
  auto key = std::make_pair(*head, pin);
  std::lock_guard opening(open_mu_);
  Linked* v = nullptr;
  {
    std::lock_guard lock(mu_);
    if (closed_) return EIO;
    if (auto it = versions_.find(key); it != versions_.end()) v = it->second.get();
  }
  if (!v) {
    auto fs = snapshots_->open(*head);
    if (!fs) {
      log::warn("cannot open the version " + std::string(name) +
                " of .snapshots: " + fs.error().message());
      return EIO;
    }
    auto made = std::make_unique<Linked>();
    made->id = *head;
    made->writable = false;
    made->snapshot = true;
    made->salt = salt_of(*head, pin);
    made->fs = std::move(*fs);
    v = made.get();
    std::lock_guard lock(mu_);
    if (closed_) return EIO;
    versions_.emplace(key, std::move(made));
  }
  struct stat st;
  if (int e = v->fs->getattr(kRoot, &st)) return e;
  uint64_t k = root_number(v->salt);
  {
    std::lock_guard lock(mu_);
    auto it = known_.find(k);
    if (it != known_.end() && (it->second.in != v || it->second.ino != kRoot)) {
      log::error("two inodes would share kernel inode number " + std::to_string(k) +
                 "; the second answers EIO");
      return EIO;
    }
    if (it == known_.end()) {
      it = known_.emplace(k, Known{v, kRoot, 0, false}).first;
      tracked_.store(known_.size());
    }
    ++it->second.nlookup;
    v->shown_at = k;
    shown_[k] = v;
  }
  st.st_ino = k;
  out->ino = k;
  out->attr = st;
  out->link = false;
  return 0;
}

int MountTree::snapshots_readdir(uint64_t cookie, const TreeEmit& emit) {
  struct stat st;
  snapshots_attr(&st);
  if (cookie == 0 && !emit(".", st, 1, false)) return 0;
  if (cookie <= 1) {
    struct stat parent {};
    parent.st_ino = kRoot;
    parent.st_mode = S_IFDIR;
    if (!emit("..", parent, 2, false)) return 0;
  }
  // Oldest first, so a version committed while `ls` runs lands at the end of the listing.
  std::vector<Snapshots::Entry> list = snapshots_->list();
  for (size_t i = cookie > 2 ? cookie - 2 : 0; i < list.size(); ++i) {
    const Snapshots::Entry& v = list[list.size() - 1 - i];
    struct stat e {};
    e.st_ino = root_number(salt_of(v.head, v.pinned ? v.name : std::string()));
    e.st_mode = S_IFDIR;
    // Looked up by name before use: the version opens then.
    if (!emit(v.name, e, i + 3, false)) break;
  }
  return 0;
}

}  // namespace peerstore
