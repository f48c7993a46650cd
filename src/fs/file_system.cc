#include "fs/file_system.h"

#include <dirent.h>
#include <fuse_lowlevel.h>
#include <linux/fs.h>
#include <sys/xattr.h>

#include <cerrno>

#include "common/log.h"

namespace peerstore {
namespace {

uint8_t dtype_of(mode_t mode) {
  return uint8_t((mode & S_IFMT) >> 12);
}

}  // namespace

timespec FileSystem::now() {
  timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t;
}

namespace {

// One write batch of slack (see docs/storage.md, A full disk).
uint64_t data_slack() {
  return BlockIo::kSpillBytes / ChunkTree::kChunkSize *
         LocalStore::cost_of_block(max_sealed_size(ChunkTree::kChunkSize));
}

}  // namespace

uint64_t FileSystem::space_reserve(uint64_t total) {
  return SpaceBudget::reserve_for(total) + data_slack();
}

FileSystem::FileSystem(std::unique_ptr<Volume> volume, Options opts)
    : volume_(std::move(volume)),
      opts_(std::move(opts)),
      table_(volume_->io(), volume_->table_root()),
      space_([this](bool settled) { return look_at_store(settled); },
             std::chrono::milliseconds(opts_.space_probe_ms), data_slack()),
      sealer_(std::make_unique<ChunkSealer>(volume_->io(), 2, 32)) {}

Result<std::unique_ptr<FileSystem>> FileSystem::open(std::unique_ptr<Volume> volume, Options opts,
                                                     Caller owner) {
  bool fresh = volume->is_new();
  // A reader cannot make the root of a volume nobody wrote yet (a grant can reach a member
  // before the first head reaches the ring): it opens once there is a version to read.
  if (fresh && !volume->keys().writable())
    return fail(Errc::unavailable, "the shared volume has no version on the network yet");
  std::unique_ptr<FileSystem> fs(new FileSystem(std::move(volume), std::move(opts)));
  if (fresh) {
    // The root directory has the fixed number FUSE expects; its record is written by hand.
    InodeRecord r;
    r.ino = NodeTable::kRootIno;
    r.mode = S_IFDIR | 0755;
    r.uid = owner.uid;
    r.gid = owner.gid;
    r.nlink = 2;
    r.atime = r.mtime = r.ctime = r.btime = now();
    r.parent = NodeTable::kRootIno;
    PS_TRY(fs->table_.adopt(std::move(r)));
    if (int e = fs->commit(); e != 0) return fail(Errc::io, "cannot write the new volume");
  } else {
    PS_ASSIGN(Node * root, fs->table_.get(NodeTable::kRootIno));
    if (!root->rec.is_dir()) return fail(Errc::corrupt, "volume root is not a directory");
  }
  return fs;
}

FileSystem::~FileSystem() {
  {
    std::lock_guard lock(commit_mu_);
    stop_ = true;
  }
  sync_wake_.notify_all();
  if (syncer_.joinable()) syncer_.join();
  sealer_.reset();  // its callbacks take mu_ and touch nodes
  wake_.notify_all();
  if (committer_.joinable()) committer_.join();
}

int FileSystem::err(const Error& e, const char* op) const {
  int code = to_errno(e.code);
  if (code == EIO || code == ENOSPC) log::error(std::string(op) + ": " + e.message());
  return code;
}

Result<Node*> FileSystem::node(uint64_t ino) {
  return table_.get(ino);
}

Result<Node*> FileSystem::dir_node(uint64_t ino) {
  PS_ASSIGN(Node * n, table_.get(ino));
  if (!n->rec.is_dir()) return fail(Errc::invalid, "not a directory");
  // Its entries live in the linked volume (MountTree crosses it): none of its own here.
  if (n->rec.is_link()) return fail(Errc::invalid, "a volume link");
  PS_TRY(table_.load_content(*n));
  return n;
}

void FileSystem::fill_attr(const Node& n, struct stat* st) const {
  *st = {};
  const InodeRecord& r = n.rec;
  st->st_ino = r.ino;
  st->st_mode = r.mode;
  st->st_nlink = r.nlink;
  st->st_uid = r.uid;
  st->st_gid = r.gid;
  st->st_rdev = r.rdev;
  st->st_size = off_t(r.size);
  st->st_blksize = 4096;
  st->st_atim = r.atime;
  st->st_mtim = r.mtime;
  st->st_ctim = r.ctime;
  if (r.is_file()) {
    uint64_t bytes = n.chunked()
                         ? (n.chunks ? n.chunks->chunk_count() : r.entries) * ChunkTree::kChunkSize
                         : r.inline_data.size();
    bytes = std::min<uint64_t>(bytes, (r.size + 4095) / 4096 * 4096);
    st->st_blocks = blkcnt_t((bytes + 511) / 512);
  } else if (r.is_dir()) {
    st->st_blocks = 8;
  }
}

int FileSystem::entry_reply(Node& n, EntryOut* out) {
  ++n.nlookup;
  out->ino = n.ino();
  out->link = n.rec.is_link();
  fill_attr(n, &out->attr);
  return 0;
}

int FileSystem::lookup(uint64_t parent, std::string_view name, EntryOut* out) {
  if (name.size() > NAME_MAX) return ENAMETOOLONG;
  std::lock_guard lock(mu_);
  auto p = dir_node(parent);
  if (!p) return p.code() == Errc::invalid ? ENOTDIR : err(p.error(), "lookup");
  if (name == ".") return entry_reply(**p, out);
  if (name == "..") {
    auto pp = node((*p)->rec.parent);
    if (!pp) return err(pp.error(), "lookup");
    return entry_reply(**pp, out);
  }
  auto e = dir_lookup(*(*p)->dir, name);
  if (!e) return err(e.error(), "lookup");
  if (!*e) return ENOENT;
  auto n = node((*e)->ino);
  if (!n) return err(n.error(), "lookup");
  return entry_reply(**n, out);
}

void FileSystem::forget(uint64_t ino, uint64_t nlookup) {
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return;
  (*n)->nlookup = (*n)->nlookup > nlookup ? (*n)->nlookup - nlookup : 0;
}

int FileSystem::getattr(uint64_t ino, struct stat* out) {
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return err(n.error(), "getattr");
  fill_attr(**n, out);
  return 0;
}

int FileSystem::setattr(uint64_t ino, const struct stat& in, int to_set, struct stat* out) {
  std::lock_guard lock(mu_);
  auto np = node(ino);
  if (!np) return err(np.error(), "setattr");
  Node& n = **np;
  InodeRecord& r = n.rec;
  timespec t = now();
  if (to_set & FUSE_SET_ATTR_SIZE)
    if (int e = resize_locked(n, uint64_t(in.st_size), t)) return e;
  if (to_set & FUSE_SET_ATTR_MODE) r.mode = (r.mode & S_IFMT) | (in.st_mode & 07777);
  if (to_set & FUSE_SET_ATTR_UID) r.uid = in.st_uid;
  if (to_set & FUSE_SET_ATTR_GID) r.gid = in.st_gid;
  if ((to_set & (FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) && !r.is_dir() &&
      !(to_set & FUSE_SET_ATTR_MODE))
    r.mode &= ~S_ISUID & ~((r.mode & S_IXGRP) ? S_ISGID : 0);  // chown drops set-id bits
  if (to_set & FUSE_SET_ATTR_ATIME_NOW)
    r.atime = t;
  else if (to_set & FUSE_SET_ATTR_ATIME)
    r.atime = in.st_atim;
  if (to_set & FUSE_SET_ATTR_MTIME_NOW)
    r.mtime = t;
  else if (to_set & FUSE_SET_ATTR_MTIME)
    r.mtime = in.st_mtim;
  r.ctime = (to_set & FUSE_SET_ATTR_CTIME) ? in.st_ctim : t;
  table_.mark_dirty(n);
  changed_ = true;
  commit_soon();
  fill_attr(n, out);
  return 0;
}

int FileSystem::resize_locked(Node& n, uint64_t size, const timespec& t) {
  InodeRecord& r = n.rec;
  if (r.is_dir()) return EISDIR;
  if (!r.is_file()) return EINVAL;
  if (size > kMaxFileSize) return EFBIG;
  bool shrinks = size < r.size;
  if (auto st = truncate(n, size); !st) return err(st.error(), "truncate");
  r.mtime = t;
  if (shrinks) removed(t, ~n.ino());  // the file itself: names hash elsewhere
  return 0;
}

int FileSystem::readlink(uint64_t ino, std::string* out) {
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return err(n.error(), "readlink");
  if (!(*n)->rec.is_symlink()) return EINVAL;
  out->assign(as_chars((*n)->rec.inline_data));
  return 0;
}

int FileSystem::new_node(const Caller& c, Node& parent, std::string_view name, mode_t mode,
                         dev_t rdev, std::string_view target, Node** out) {
  if (name.size() > NAME_MAX) return ENAMETOOLONG;
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos)
    return EINVAL;
  if (parent.rec.nlink == 0) return ENOENT;  // removed while someone still had it open
  auto existing = dir_lookup(*parent.dir, name);
  if (!existing) return err(existing.error(), "create");
  if (*existing) return EEXIST;
  if (!room_for(0, true)) return ENOSPC;
  InodeRecord r;
  r.mode = mode;
  r.uid = c.uid;
  r.gid = c.gid;
  if (parent.rec.mode & S_ISGID) {  // BSD group semantics on set-group-id directories
    r.gid = parent.rec.gid;
    if (S_ISDIR(mode)) r.mode |= S_ISGID;
  }
  r.rdev = rdev;
  r.nlink = S_ISDIR(mode) ? 2 : 1;
  r.atime = r.mtime = r.ctime = r.btime = now();
  r.parent = parent.ino();
  if (S_ISLNK(mode)) {
    r.inline_data = to_bytes(target);
    r.size = target.size();
  }
  auto n = table_.create(std::move(r));
  if (!n) return err(n.error(), "create");
  if (S_ISDIR(mode)) (*n)->dir = std::make_unique<TrieMap>(volume_->io());
  if (auto st = dir_insert(*parent.dir, name, DirEntry{(*n)->ino(), dtype_of(mode)}); !st)
    return err(st.error(), "create");
  parent.rec.entries++;
  if (S_ISDIR(mode)) parent.rec.nlink++;
  parent.rec.mtime = parent.rec.ctime = (*n)->rec.ctime;
  table_.mark_dirty(parent);
  changed_ = true;
  commit_soon();
  *out = *n;
  return 0;
}

int FileSystem::mknod(const Caller& c, uint64_t parent, std::string_view name, mode_t mode,
                      dev_t rdev, EntryOut* out) {
  std::lock_guard lock(mu_);
  auto p = dir_node(parent);
  if (!p) return p.code() == Errc::invalid ? ENOTDIR : err(p.error(), "mknod");
  Node* n;
  if (int e = new_node(c, **p, name, mode, rdev, {}, &n)) return e;
  return entry_reply(*n, out);
}

int FileSystem::mkdir(const Caller& c, uint64_t parent, std::string_view name, mode_t mode,
                      EntryOut* out) {
  return mknod(c, parent, name, S_IFDIR | (mode & 07777), 0, out);
}

int FileSystem::symlink(const Caller& c, std::string_view target, uint64_t parent,
                        std::string_view name, EntryOut* out) {
  if (target.size() >= PATH_MAX) return ENAMETOOLONG;
  std::lock_guard lock(mu_);
  auto p = dir_node(parent);
  if (!p) return p.code() == Errc::invalid ? ENOTDIR : err(p.error(), "symlink");
  Node* n;
  if (int e = new_node(c, **p, name, S_IFLNK | 0777, 0, target, &n)) return e;
  return entry_reply(*n, out);
}

int FileSystem::link(uint64_t ino, uint64_t newparent, std::string_view newname, EntryOut* out) {
  if (newname.size() > NAME_MAX) return ENAMETOOLONG;
  std::lock_guard lock(mu_);
  auto n = node(ino);
  if (!n) return err(n.error(), "link");
  if ((*n)->rec.is_dir()) return EPERM;
  if ((*n)->unlinked) return ENOENT;
  auto p = dir_node(newparent);
  if (!p) return p.code() == Errc::invalid ? ENOTDIR : err(p.error(), "link");
  if ((*p)->rec.nlink == 0) return ENOENT;
  auto existing = dir_lookup(*(*p)->dir, newname);
  if (!existing) return err(existing.error(), "link");
  if (*existing) return EEXIST;
  if ((*n)->rec.nlink >= 65000) return EMLINK;
  if (!room_for(0, true)) return ENOSPC;
  if (auto st = dir_insert(*(*p)->dir, newname, DirEntry{ino, dtype_of((*n)->rec.mode)}); !st)
    return err(st.error(), "link");
  timespec t = now();
  (*p)->rec.entries++;
  (*p)->rec.mtime = (*p)->rec.ctime = t;
  (*n)->rec.nlink++;
  (*n)->rec.ctime = t;
  table_.mark_dirty(**p);
  table_.mark_dirty(**n);
  changed_ = true;
  commit_soon();
  return entry_reply(**n, out);
}

Status FileSystem::drop_link(Node& n) {
  if (n.rec.nlink > 0) n.rec.nlink--;
  if (n.rec.is_dir()) n.rec.nlink = 0;  // a removed directory has no links, not even "."
  n.rec.ctime = now();
  table_.mark_dirty(n);
  if (n.rec.nlink != 0) return {};
  return table_.unlink(n);
}

void FileSystem::removed(const timespec& t, uint64_t where) {
  if (removal_sink_) removal_sink_(int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec, where);
}

int FileSystem::remove_entry(Node& parent, std::string_view name, bool want_dir) {
  if (name.size() > NAME_MAX) return ENAMETOOLONG;
  if (name == ".") return EINVAL;
  if (name == "..") return ENOTEMPTY;
  auto e = dir_lookup(*parent.dir, name);
  if (!e) return err(e.error(), "remove");
  if (!*e) return ENOENT;
  auto n = node((*e)->ino);
  if (!n) return err(n.error(), "remove");
  Node& target = **n;
  if (want_dir) {
    if (!target.rec.is_dir()) return ENOTDIR;
    if (target.rec.entries > 0) return ENOTEMPTY;
    if (target.ino() == NodeTable::kRootIno) return EBUSY;
  } else if (target.rec.is_dir()) {
    return EISDIR;
  }
  if (auto st = dir_remove(*parent.dir, name); !st) return err(st.error(), "remove");
  parent.rec.entries--;
  if (want_dir) parent.rec.nlink--;
  parent.rec.mtime = parent.rec.ctime = now();
  table_.mark_dirty(parent);
  bool last_name_of_file = target.rec.is_file() && target.rec.nlink <= 1;
  if (auto st = drop_link(target); !st) return err(st.error(), "remove");
  if (last_name_of_file) {
    uint64_t where = 14695981039346656037ull ^ parent.ino();  // FNV-1a of the name, seeded
    for (unsigned char c : name) where = (where ^ c) * 1099511628211ull;
    removed(parent.rec.mtime, where);
  }
  changed_ = true;
  commit_soon();
  return 0;
}

int FileSystem::unlink(uint64_t parent, std::string_view name) {
  std::lock_guard lock(mu_);
  auto p = dir_node(parent);
  if (!p) return p.code() == Errc::invalid ? ENOTDIR : err(p.error(), "unlink");
  return remove_entry(**p, name, false);
}

int FileSystem::rmdir(uint64_t parent, std::string_view name) {
  std::lock_guard lock(mu_);
  auto p = dir_node(parent);
  if (!p) return p.code() == Errc::invalid ? ENOTDIR : err(p.error(), "rmdir");
  return remove_entry(**p, name, true);
}

Result<bool> FileSystem::is_ancestor(uint64_t anc, uint64_t ino) {
  // Directories know their parent, so the walk is as deep as the tree, never wider.
  for (int guard = 0; guard < 1 << 16; ++guard) {
    if (ino == anc) return true;
    if (ino == NodeTable::kRootIno) return false;
    PS_ASSIGN(Node * n, node(ino));
    ino = n->rec.parent;
  }
  return fail(Errc::corrupt, "directory parents form a loop");
}

int FileSystem::rename(uint64_t parent, std::string_view name, uint64_t newparent,
                       std::string_view newname, unsigned flags) {
  if (name.size() > NAME_MAX || newname.size() > NAME_MAX) return ENAMETOOLONG;
  if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) return EINVAL;
  if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)) return EINVAL;
  if (name == "." || name == ".." || newname == "." || newname == "..") return EBUSY;
  std::lock_guard lock(mu_);
  auto sp = dir_node(parent);
  if (!sp) return sp.code() == Errc::invalid ? ENOTDIR : err(sp.error(), "rename");
  auto dp = dir_node(newparent);
  if (!dp) return dp.code() == Errc::invalid ? ENOTDIR : err(dp.error(), "rename");
  Node& src_dir = **sp;
  Node& dst_dir = **dp;
  if (dst_dir.rec.nlink == 0) return ENOENT;  // removed while someone still had it open
  auto se = dir_lookup(*src_dir.dir, name);
  if (!se) return err(se.error(), "rename");
  if (!*se) return ENOENT;
  auto de = dir_lookup(*dst_dir.dir, newname);
  if (!de) return err(de.error(), "rename");
  auto sn = node((*se)->ino);
  if (!sn) return err(sn.error(), "rename");
  Node& src = **sn;
  timespec t = now();

  if (src.rec.is_dir() && newparent != parent) {
    auto loop = is_ancestor(src.ino(), newparent);
    if (!loop) return err(loop.error(), "rename");
    if (*loop) return EINVAL;
  }

  if (flags & RENAME_EXCHANGE) {
    if (!*de) return ENOENT;
    auto dn = node((*de)->ino);
    if (!dn) return err(dn.error(), "rename");
    Node& dst = **dn;
    if (dst.rec.is_dir() && newparent != parent) {
      auto loop = is_ancestor(dst.ino(), parent);
      if (!loop) return err(loop.error(), "rename");
      if (*loop) return EINVAL;
    }
    if (auto st = dir_insert(*src_dir.dir, name, **de); !st) return err(st.error(), "rename");
    if (auto st = dir_insert(*dst_dir.dir, newname, **se); !st) return err(st.error(), "rename");
    if (parent != newparent) {
      if (!src.rec.is_dir()) src.rec.parent = newparent;  // a hint for merges: where it lives
      if (!dst.rec.is_dir()) dst.rec.parent = parent;
      if (src.rec.is_dir()) {
        src.rec.parent = newparent;
        src_dir.rec.nlink--;
        dst_dir.rec.nlink++;
      }
      if (dst.rec.is_dir()) {
        dst.rec.parent = parent;
        dst_dir.rec.nlink--;
        src_dir.rec.nlink++;
      }
    }
    src.rec.ctime = dst.rec.ctime = t;
    src_dir.rec.mtime = src_dir.rec.ctime = dst_dir.rec.mtime = dst_dir.rec.ctime = t;
    table_.mark_dirty(src);
    table_.mark_dirty(dst);
    table_.mark_dirty(src_dir);
    table_.mark_dirty(dst_dir);
    changed_ = true;
    commit_soon();
    return 0;
  }

  if (*de) {
    if (flags & RENAME_NOREPLACE) return EEXIST;
    if ((*de)->ino == src.ino()) return 0;  // two links to one inode: POSIX says do nothing
    auto dn = node((*de)->ino);
    if (!dn) return err(dn.error(), "rename");
    Node& dst = **dn;
    if (src.rec.is_dir()) {
      if (!dst.rec.is_dir()) return ENOTDIR;
      if (dst.rec.entries > 0) return ENOTEMPTY;
    } else if (dst.rec.is_dir()) {
      return EISDIR;
    }
    if (auto r = remove_entry(dst_dir, newname, dst.rec.is_dir())) return r;
  }
  if (auto st = dir_remove(*src_dir.dir, name); !st) return err(st.error(), "rename");
  src_dir.rec.entries--;
  if (auto st = dir_insert(*dst_dir.dir, newname, **se); !st) return err(st.error(), "rename");
  dst_dir.rec.entries++;
  if (!src.rec.is_dir()) src.rec.parent = newparent;  // a hint for merges: where it lives
  if (src.rec.is_dir() && parent != newparent) {
    src.rec.parent = newparent;
    src_dir.rec.nlink--;
    dst_dir.rec.nlink++;
  }
  src.rec.ctime = t;
  src_dir.rec.mtime = src_dir.rec.ctime = dst_dir.rec.mtime = dst_dir.rec.ctime = t;
  table_.mark_dirty(src);
  table_.mark_dirty(src_dir);
  table_.mark_dirty(dst_dir);
  changed_ = true;
  commit_soon();
  return 0;
}

int FileSystem::opendir(uint64_t ino) {
  std::lock_guard lock(mu_);
  auto n = dir_node(ino);
  if (!n) return n.code() == Errc::invalid ? ENOTDIR : err(n.error(), "opendir");
  return 0;
}

int FileSystem::readdir(uint64_t ino, uint64_t cookie, bool plus, const DirEmit& emit) {
  return readdir_links(ino, cookie, plus,
                       [&](std::string_view name, const struct stat& st, uint64_t next, bool) {
                         return emit(name, st, next);
                       });
}

int FileSystem::readdir_links(uint64_t ino, uint64_t cookie, bool plus, const DirEmitLinks& emit) {
  std::lock_guard lock(mu_);
  auto np = dir_node(ino);
  if (!np) return np.code() == Errc::invalid ? ENOTDIR : err(np.error(), "readdir");
  Node& d = **np;
  struct stat st {};
  // Cookies name the next entry: 0 ".", 1 "..", c >= 2 the first entry at position >= c - 2;
  // so the cookie after an entry at position p is p + 3 (positions are 62-bit, no overflow).
  if (cookie == 0) {
    fill_attr(d, &st);
    if (!emit(".", st, 1, false)) return 0;
    cookie = 1;
  }
  if (cookie == 1) {
    st = {};
    st.st_ino = d.rec.parent;
    st.st_mode = S_IFDIR;
    if (!emit("..", st, 2, false)) return 0;
    cookie = 2;
  }
  Status inner;
  auto s =
      dir_scan(*d.dir, cookie - 2, [&](uint64_t pos, std::string_view name, const DirEntry& e) {
        struct stat est {};
        if (!plus) {
          est.st_ino = e.ino;
          est.st_mode = mode_t(e.type) << 12;
          return emit(name, est, pos + 3, false);
        }
        auto n = node(e.ino);
        if (!n) {
          inner = n.error();
          return false;
        }
        fill_attr(**n, &est);
        if (!emit(name, est, pos + 3, (*n)->rec.is_link())) return false;
        ++(*n)->nlookup;
        return true;
      });
  if (!s) return err(s.error(), "readdir");
  if (!inner) return err(inner.error(), "readdir");
  return 0;
}

int FileSystem::statfs(struct statvfs* out) {
  struct statvfs host {};
  if (::statvfs(opts_.statfs_path.c_str(), &host) != 0) host = {};
  *out = {};
  out->f_bsize = 4096;
  out->f_frsize = 4096;
  uint64_t scale = host.f_frsize ? host.f_frsize : 4096;
  out->f_blocks = host.f_blocks * scale / 4096;
  out->f_bfree = host.f_bfree * scale / 4096;
  out->f_bavail = host.f_bavail * scale / 4096;
  out->f_files = uint64_t(1) << 32;
  out->f_ffree = out->f_files - 1;
  out->f_favail = out->f_ffree;
  out->f_namemax = NAME_MAX;
  return 0;
}

}  // namespace peerstore
