// MountTree: the one inode space the kernel sees over several volumes (docs/sharing.md, "Mount:
// several volumes in one tree"). The home volume's FileSystem answers at the root; a volume
// link in a tree (FileSystem::make_link) is crossed: the kernel sees the linked volume's root
// in its place, and below it that volume's own FileSystem answers. Operations take and return
// kernel inode numbers, as FileSystem's do, and route each to its volume.
//
// Kernel inode numbers: the home volume's are its own (below 2^63: NodeTable::create); a
// link's is the link inode's number in the volume that holds it; every other inode of a linked
// volume gets a number at or above 2^63, a fixed function of the volume and its inode number
// (so `ls -i` and a later stat agree without a table of every name listed). Only inodes the
// kernel holds a lookup of are tracked, like FUSE's own lookup counts: forget drops them. Two
// inodes that would share a number (odds about n²/2^63) are refused with EIO, never confused.
//
// Linked volumes open on first use, through the Opener (which builds their Volume and
// FileSystem and starts their sync), and stay open until the tree closes. Below a link
// without the volume's signing key (a read-only member), every change fails with EROFS. One volume
// shows at one place: a second link to a volume already shown elsewhere answers EIO, since the
// kernel cannot hold one directory under two parents. rename and link across volumes fail with
// EXDEV.
//
// Thread-safe: requests run on any number of FUSE threads. Lock order: a FileSystem's own lock,
// then this tree's `mu_` (readdir calls back into the tree under the file system's lock); the
// tree never calls a FileSystem while holding `mu_`.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fs/file_system.h"
#include "keys/grant.h"

namespace peerstore {

class MountTree {
 public:
  // Opens the volumes that links name. Called with no lock of the tree held.
  class Opener {
   public:
    virtual ~Opener() = default;
    // The linked volume's file system, opened, its committer and sync not started yet.
    virtual Result<std::unique_ptr<FileSystem>> open(const GrantContent& link) = 0;
    // After the tree set its notifier: start the committer and sync, watch the heads.
    virtual void started(FileSystem& fs) = 0;
    // Before the tree commits and closes it: stop whatever started() began that calls it.
    virtual void closing(FileSystem& fs) = 0;
    // After a newer epoch of a shared volume opened (a revoke moved it to new keys): the
    // old volume, read-only, when this computer made versions of it the new one lacks; the
    // tree then shows it beside the new one ("FOLDER (before revoke)").
    virtual std::optional<GrantContent> unsaved_previous(const GrantContent&) {
      return std::nullopt;
    }
  };

  // Requests of `peerstore-share` (docs/sharing.md): an extended attribute set on a folder of
  // the mount, named "peerstore.share.*", reaches the control instead of the file system. So
  // the tool finds the mount from the path, and only who may write the folder can ask. Called
  // on a FUSE thread with no lock of the tree held; returns 0 or an errno (its log says more).
  class Control {
   public:
    virtual ~Control() = default;
    virtual int request(MountTree& tree, uint64_t kino, std::string_view name, ByteView value) = 0;
    // The same for reading one ("peerstore.share.list"): fills *out.
    virtual int query(MountTree& tree, uint64_t kino, std::string_view name, std::string* out) = 0;
  };
  static constexpr std::string_view kControlPrefix = "peerstore.share.";

  // The home volume's past versions, shown read-only under `.snapshots/` at the root
  // (docs/lifecycle.md, Snapshots in the mount): what retention keeps. `.snapshots` is not
  // listed by readdir of the root (so find, du and rsync of the mount do not walk every
  // version), but lookup, `cd` and `ls` of it work; no entry of that name can be made at the
  // root. Each version opens on first lookup and stays open until the tree closes. Called
  // with no lock of the tree held.
  class Snapshots {
   public:
    struct Entry {
      std::string name;  // fs/retention.h snapshot_names(), or a pin's name (fs/pins.h)
      Id256 head;
      // A pinned entry shows its version as a tree of its own (other inode numbers), so a
      // version shown under two names is never one directory with two parents.
      bool pinned = false;
    };
    virtual ~Snapshots() = default;
    // Newest first; asked on every lookup in and listing of .snapshots/ (cache as needed).
    virtual std::vector<Entry> list() = 0;
    // The version `head` that list() gave, as a file system of its own that cannot commit.
    virtual Result<std::unique_ptr<FileSystem>> open(const Id256& head) = 0;
  };
  static constexpr std::string_view kSnapshotsName = ".snapshots";
  // The kernel number of .snapshots/ (no volume's inode gets it).
  static constexpr uint64_t kSnapshotsIno = (uint64_t(1) << 63) | 1;
  // What a kept old epoch of a shared folder is named after (supersede()).
  static constexpr std::string_view kBeforeRevoke = " (before revoke)";

  // Where a kernel inode number leads, for the control.
  struct Where {
    FileSystem* fs = nullptr;
    uint64_t ino = 0;          // its number in fs
    bool home = true;          // fs is the home volume's
    bool linked_root = false;  // the root of a linked volume: `link` is its link
    bool home_link = false;    // ...through a link of the home volume (its number the kino)
    std::shared_ptr<const Secret> link;
  };
  int where(uint64_t kino, Where* out);

  // A revoke's rotation (docs/sharing.md, Revoke). While the returned lock is held, every
  // change below the linked volume `id` waits (as under fsfreeze); the copy then reads a
  // tree nothing changes. EBUSY (and no lock) while a file of it is open for writing: a write
  // through that handle after the rotation would go to the old volume. A volume not open
  // here has nothing to hold: 0 and an empty lock.
  int hold_changes(const VolumeId& id, std::unique_lock<std::shared_mutex>* out);
  // After the volume's link moved to its next epoch: a change still aimed at the old volume
  // (a shell whose directory is inside it) answers ESTALE instead of going where nobody
  // looks any more. Waits for changes in flight (unless the caller holds them off already:
  // `held`, with hold_changes()'s lock), then commits what was written to it.
  void retire(const VolumeId& id, bool held = false);

  // `home` must outlive the tree; `opener` may be null (links then answer EIO).
  MountTree(FileSystem& home, Opener* opener);
  // Where peerstore.share.* requests go (none: EOPNOTSUPP); set before the mount serves.
  void set_control(Control* c) { control_ = c; }
  // Where .snapshots/ finds versions (none: the name is not special); set before serving.
  void set_snapshots(Snapshots* s) { snapshots_ = s; }
  ~MountTree();  // closes the linked volumes (close())

  FileSystem& home() { return home_; }
  // Commits and closes every linked volume (their final commit); the home volume is the
  // caller's. Later requests below a link answer EIO.
  Status close();

  // Where the kernel learns what live sync changed in any of the volumes, in kernel numbers.
  void set_notifier(FileSystem::Notifier n);

  // Commits the volume `ino` belongs to (fsync), or every volume (ino 0).
  int commit(uint64_t ino = 0);

  // The operations of FileSystem, in kernel inode numbers.
  int lookup(uint64_t parent, std::string_view name, EntryOut* out);
  void forget(uint64_t ino, uint64_t nlookup);
  int getattr(uint64_t ino, struct stat* out);
  int setattr(uint64_t ino, const struct stat& in, int to_set, struct stat* out);
  int readlink(uint64_t ino, std::string* out);
  int mknod(const Caller& c, uint64_t parent, std::string_view name, mode_t mode, dev_t rdev,
            EntryOut* out);
  int mkdir(const Caller& c, uint64_t parent, std::string_view name, mode_t mode, EntryOut* out);
  int symlink(const Caller& c, std::string_view target, uint64_t parent, std::string_view name,
              EntryOut* out);
  int link(uint64_t ino, uint64_t newparent, std::string_view newname, EntryOut* out);
  int unlink(uint64_t parent, std::string_view name);
  int rmdir(uint64_t parent, std::string_view name);
  int rename(uint64_t parent, std::string_view name, uint64_t newparent, std::string_view newname,
             unsigned flags);
  int open(uint64_t ino, int flags);
  int create(const Caller& c, uint64_t parent, std::string_view name, mode_t mode, int flags,
             EntryOut* out);
  // `flags`: those the file was opened with (a handle opened for writing is counted).
  int release(uint64_t ino, int flags = 0);
  int flush(uint64_t ino);
  int read(uint64_t ino, uint64_t off, size_t size, Bytes* out);
  ssize_t write(uint64_t ino, uint64_t off, ByteView data);
  int fallocate(uint64_t ino, int mode, uint64_t off, uint64_t len);
  int opendir(uint64_t ino);
  // As FileSystem::readdir; `attrs` false for an entry the kernel must look up by name before
  // it uses it (a link, whose volume opens then), even with `plus`.
  using TreeEmit =
      std::function<bool(std::string_view name, const struct stat& st, uint64_t next, bool attrs)>;
  int readdir(uint64_t ino, uint64_t cookie, bool plus, const TreeEmit& emit);
  int statfs(struct statvfs* out);
  int setxattr(uint64_t ino, std::string_view name, ByteView value, int flags);
  int getxattr(uint64_t ino, std::string_view name, size_t size, Bytes* out, size_t* out_size);
  int listxattr(uint64_t ino, size_t size, Bytes* out, size_t* out_size);
  int removexattr(uint64_t ino, std::string_view name);

  // How many linked volumes are open (tests, status).
  size_t linked_volumes() const;

 private:
  struct Linked;
  // Where a kernel inode number leads: a file system and its own inode number.
  struct Route {
    FileSystem* fs = nullptr;
    Linked* vol = nullptr;  // null: the home volume
    uint64_t ino = 0;
  };
  // A kernel inode the tree tracks: a link (in any volume), or any inode of a linked volume.
  struct Known {
    Linked* in = nullptr;  // the volume that holds it; null: home
    uint64_t ino = 0;      // its number there
    uint64_t nlookup = 0;
    bool link = false;
  };

  // Routes `kino` and calls fn(file system, its inode number).
  // With `writes`: EROFS in a read-only member's view of a shared volume.
  template <typename Fn>
  int on(uint64_t kino, Fn&& fn, bool writes = false);
  // The same for an operation that gives the kernel an inode (`out`), which it then enters.
  template <typename Fn>
  int make(uint64_t parent, EntryOut* out, Fn&& fn, bool writes = false);
  // The route of `kino`, opening the volume a link names when first crossed.
  int route(uint64_t kino, Route* out);
  // The file system a kernel inode's entries are made in (its route, for a directory).
  FileSystem& fs_of(const Route& r) const;
  // Turns a file system's reply (in `in`'s numbers, one lookup counted there) into the
  // kernel's: numbers, tracking, a link's attributes. Returns 0 or EIO (a number clash).
  int enter(Linked* in, EntryOut* out);
  // Under mu_: the kernel number of inode `ino` of `in` (null: home), and tracking.
  uint64_t kernel_ino(Linked* in, uint64_t ino) const;
  int track(Linked* in, uint64_t ino, bool link, uint64_t* kino);
  int open_link(uint64_t kino, const Known& k, Linked** out);
  // After `next` opened for the link `k`: older epochs of its lineage open here are retired,
  // and what this computer wrote to the last one that `next` lacks stays in view beside it.
  void supersede(const Known& k, const GrantContent& next);
  void notify(Linked* in, const FileSystem::Invalidation& inv);
  // .snapshots/ (mount_tree_snapshots.cc). `reserved`: a name at the root that only it has.
  bool reserved(uint64_t parent, std::string_view name) const;
  void snapshots_attr(struct stat* out);
  int snapshots_lookup(std::string_view name, EntryOut* out);
  int snapshots_readdir(uint64_t cookie, const TreeEmit& emit);

  FileSystem& home_;
  Opener* opener_;
  Control* control_ = nullptr;
  Snapshots* snapshots_ = nullptr;
  mutable std::mutex mu_;
  std::unordered_map<uint64_t, Known> known_;
  std::atomic<size_t> tracked_{0};  // known_.size(), read without the lock
  // Linked volumes by id; each remembers the kernel number it shows at (0: none now).
  std::map<VolumeId, std::unique_ptr<Linked>> volumes_;
  // .snapshots/ entries opened, by head and pin name ("" for an automatic one).
  std::map<std::pair<Id256, std::string>, std::unique_ptr<Linked>> versions_;
  std::unordered_map<uint64_t, Linked*> shown_;  // a link's kernel number -> its volume
  std::set<uint64_t> warned_;  // links whose volume could not open, logged once each
  bool closed_ = false;
  std::mutex open_mu_;  // one volume opens at a time (opening may ask the network)
  std::mutex notify_mu_;
  FileSystem::Notifier notifier_;
};

}  // namespace peerstore
