#include "fs/fuse_adapter.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "common/log.h"
#include "fs/fuse_metrics.h"
#include "fs/mount_tree.h"

namespace peerstore {
namespace {

FuseContext& ctx(fuse_req_t req) {
  return *static_cast<FuseContext*>(fuse_req_userdata(req));
}
MountTree& tree(fuse_req_t req) {
  return ctx(req).tree;
}

Caller caller(fuse_req_t req) {
  const fuse_ctx* c = fuse_req_ctx(req);
  return Caller{c->uid, c->gid};
}

void reply_entry(fuse_req_t req, int e, const EntryOut& out) {
  if (e) {
    fuse_reply_err(req, e);
    return;
  }
  fuse_entry_param p{};
  p.ino = out.ino;
  p.generation = 1;
  p.attr = out.attr;
  p.attr_timeout = ctx(req).options.entry_timeout;
  p.entry_timeout = ctx(req).options.entry_timeout;
  fuse_reply_entry(req, &p);
}

void op_init(void* userdata, fuse_conn_info* conn) {
  auto* c = static_cast<FuseContext*>(userdata);
  if (c->options.writeback_cache && (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
    conn->want |= FUSE_CAP_WRITEBACK_CACHE;
  if (conn->capable & FUSE_CAP_SPLICE_READ) conn->want &= ~FUSE_CAP_SPLICE_READ;
  conn->max_write = 1 << 20;
  conn->max_readahead = 1 << 20;
}

void op_destroy(void* userdata) {
  auto* c = static_cast<FuseContext*>(userdata);
  c->tree.commit();
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  EntryOut out;
  int e = tree(req).lookup(parent, name, &out);
  if (e == ENOENT) {
    // A negative entry with a timeout lets the kernel cache misses (make, git, compilers).
    fuse_entry_param p{};
    p.entry_timeout = ctx(req).options.entry_timeout;
    fuse_reply_entry(req, &p);
    return;
  }
  reply_entry(req, e, out);
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  tree(req).forget(ino, nlookup);
  fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) tree(req).forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  struct stat st;
  if (int e = tree(req).getattr(ino, &st)) return (void)fuse_reply_err(req, e);
  fuse_reply_attr(req, &st, ctx(req).options.entry_timeout);
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info*) {
  struct stat st;
  if (int e = tree(req).setattr(ino, *attr, to_set, &st)) return (void)fuse_reply_err(req, e);
  fuse_reply_attr(req, &st, ctx(req).options.entry_timeout);
}

void op_readlink(fuse_req_t req, fuse_ino_t ino) {
  std::string target;
  if (int e = tree(req).readlink(ino, &target)) return (void)fuse_reply_err(req, e);
  fuse_reply_readlink(req, target.c_str());
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, dev_t rdev) {
  EntryOut out;
  reply_entry(req, tree(req).mknod(caller(req), parent, name, mode, rdev, &out), out);
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  EntryOut out;
  reply_entry(req, tree(req).mkdir(caller(req), parent, name, mode, &out), out);
}

void op_symlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  EntryOut out;
  reply_entry(req, tree(req).symlink(caller(req), link, parent, name, &out), out);
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char* newname) {
  EntryOut out;
  reply_entry(req, tree(req).link(ino, newparent, newname, &out), out);
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_reply_err(req, tree(req).unlink(parent, name));
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  fuse_reply_err(req, tree(req).rmdir(parent, name));
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t newparent,
               const char* newname, unsigned int flags) {
  fuse_reply_err(req, tree(req).rename(parent, name, newparent, newname, flags));
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (int e = tree(req).open(ino, fi->flags)) return (void)fuse_reply_err(req, e);
  // The kernel may keep the file's cached pages across opens: content changes only through
  // this mount, which the kernel sees, or through live sync, which invalidates the pages of
  // every inode it changes (FileSystem::Notifier).
  fi->keep_cache = 1;
  fuse_reply_open(req, fi);
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
               fuse_file_info* fi) {
  EntryOut out;
  int e = tree(req).create(caller(req), parent, name, mode, fi->flags, &out);
  if (e) return (void)fuse_reply_err(req, e);
  fuse_entry_param p{};
  p.ino = out.ino;
  p.generation = 1;
  p.attr = out.attr;
  p.attr_timeout = p.entry_timeout = ctx(req).options.entry_timeout;
  fuse_reply_create(req, &p, fi);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  Bytes buf;
  if (int e = tree(req).read(ino, uint64_t(off), size, &buf)) return (void)fuse_reply_err(req, e);
  if (FuseMetrics* m = ctx(req).metrics) m->add_read(buf.size());
  fuse_reply_buf(req, reinterpret_cast<const char*>(buf.data()), buf.size());
}

void op_write(fuse_req_t req, fuse_ino_t ino, const char* data, size_t size, off_t off,
              fuse_file_info*) {
  ssize_t n =
      tree(req).write(ino, uint64_t(off), ByteView(reinterpret_cast<const uint8_t*>(data), size));
  if (n < 0) return (void)fuse_reply_err(req, int(-n));
  if (FuseMetrics* m = ctx(req).metrics) m->add_written(uint64_t(n));
  fuse_reply_write(req, size_t(n));
}

void op_flush(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  fuse_reply_err(req, tree(req).flush(ino));
}

void op_release(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  fuse_reply_err(req, tree(req).release(ino, fi->flags));
}

void op_fsync(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info*) {
  // A commit covers the file's whole volume: one transaction is the unit of durability.
  fuse_reply_err(req, tree(req).commit(ino));
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (int e = tree(req).opendir(ino)) return (void)fuse_reply_err(req, e);
  fuse_reply_open(req, fi);
}

void readdir_common(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
  std::string buf(size, '\0');
  size_t used = 0;
  double timeout = ctx(req).options.entry_timeout;
  int e = tree(req).readdir(
      ino, uint64_t(off), plus,
      [&](std::string_view name, const struct stat& st, uint64_t next, bool attrs) {
        std::string n(name);
        size_t need;
        if (plus) {
          // Without attributes (ino 0) the kernel lists the name and looks it up when used.
          fuse_entry_param p{};
          p.attr = st;
          if (attrs) {
            p.ino = st.st_ino;
            p.generation = 1;
            p.attr_timeout = p.entry_timeout = timeout;
          }
          need = fuse_add_direntry_plus(req, nullptr, 0, n.c_str(), nullptr, 0);
          if (used + need > size) return false;
          fuse_add_direntry_plus(req, buf.data() + used, size - used, n.c_str(), &p, off_t(next));
        } else {
          need = fuse_add_direntry(req, nullptr, 0, n.c_str(), nullptr, 0);
          if (used + need > size) return false;
          fuse_add_direntry(req, buf.data() + used, size - used, n.c_str(), &st, off_t(next));
        }
        used += need;
        return true;
      });
  if (e) return (void)fuse_reply_err(req, e);
  fuse_reply_buf(req, buf.data(), used);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  readdir_common(req, ino, size, off, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info*) {
  readdir_common(req, ino, size, off, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
  fuse_reply_err(req, 0);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int, fuse_file_info*) {
  fuse_reply_err(req, tree(req).commit(ino));
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
  struct statvfs st;
  if (int e = tree(req).statfs(&st)) return (void)fuse_reply_err(req, e);
  fuse_reply_statfs(req, &st);
}

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char* name, const char* value, size_t size,
                 int flags) {
  fuse_reply_err(
      req, tree(req).setxattr(ino, name, ByteView(reinterpret_cast<const uint8_t*>(value), size),
                              flags));
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char* name, size_t size) {
  Bytes value;
  size_t n = 0;
  if (int e = tree(req).getxattr(ino, name, size, &value, &n)) return (void)fuse_reply_err(req, e);
  if (size == 0) return (void)fuse_reply_xattr(req, n);
  fuse_reply_buf(req, reinterpret_cast<const char*>(value.data()), value.size());
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size) {
  Bytes list;
  size_t n = 0;
  if (int e = tree(req).listxattr(ino, size, &list, &n)) return (void)fuse_reply_err(req, e);
  if (size == 0) return (void)fuse_reply_xattr(req, n);
  fuse_reply_buf(req, reinterpret_cast<const char*>(list.data()), list.size());
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char* name) {
  fuse_reply_err(req, tree(req).removexattr(ino, name));
}

void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, fuse_file_info*) {
  if (off < 0 || len <= 0) return (void)fuse_reply_err(req, EINVAL);
  fuse_reply_err(req, tree(req).fallocate(ino, mode, uint64_t(off), uint64_t(len)));
}

// Each callback, timed when the mount has metrics. Every callback replies before it returns,
// so its duration is the request's; the context is read before, as the reply frees `req`.
template <FuseOp Op, auto Fn>
struct Timed;
template <FuseOp Op, typename... Args, void (*Fn)(fuse_req_t, Args...)>
struct Timed<Op, Fn> {
  static void call(fuse_req_t req, Args... args) {
    FuseMetrics* m = ctx(req).metrics;
    if (!m) return Fn(req, args...);
    auto start = std::chrono::steady_clock::now();
    Fn(req, args...);
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    m->record(Op, uint64_t(us.count()));
  }
};

fuse_lowlevel_ops make_ops() {
  fuse_lowlevel_ops o{};
  o.init = op_init;
  o.destroy = op_destroy;
  o.lookup = Timed<FuseOp::lookup, op_lookup>::call;
  o.forget = Timed<FuseOp::forget, op_forget>::call;
  o.forget_multi = Timed<FuseOp::forget, op_forget_multi>::call;
  o.getattr = Timed<FuseOp::getattr, op_getattr>::call;
  o.setattr = Timed<FuseOp::setattr, op_setattr>::call;
  o.readlink = Timed<FuseOp::readlink, op_readlink>::call;
  o.mknod = Timed<FuseOp::mknod, op_mknod>::call;
  o.mkdir = Timed<FuseOp::mkdir, op_mkdir>::call;
  o.symlink = Timed<FuseOp::symlink, op_symlink>::call;
  o.link = Timed<FuseOp::link, op_link>::call;
  o.unlink = Timed<FuseOp::unlink, op_unlink>::call;
  o.rmdir = Timed<FuseOp::rmdir, op_rmdir>::call;
  o.rename = Timed<FuseOp::rename, op_rename>::call;
  o.open = Timed<FuseOp::open, op_open>::call;
  o.create = Timed<FuseOp::create, op_create>::call;
  o.read = Timed<FuseOp::read, op_read>::call;
  o.write = Timed<FuseOp::write, op_write>::call;
  o.flush = Timed<FuseOp::flush, op_flush>::call;
  o.release = Timed<FuseOp::release, op_release>::call;
  o.fsync = Timed<FuseOp::fsync, op_fsync>::call;
  o.opendir = Timed<FuseOp::opendir, op_opendir>::call;
  o.readdir = Timed<FuseOp::readdir, op_readdir>::call;
  o.readdirplus = Timed<FuseOp::readdirplus, op_readdirplus>::call;
  o.releasedir = Timed<FuseOp::releasedir, op_releasedir>::call;
  o.fsyncdir = Timed<FuseOp::fsyncdir, op_fsyncdir>::call;
  o.statfs = Timed<FuseOp::statfs, op_statfs>::call;
  o.setxattr = Timed<FuseOp::setxattr, op_setxattr>::call;
  o.getxattr = Timed<FuseOp::getxattr, op_getxattr>::call;
  o.listxattr = Timed<FuseOp::listxattr, op_listxattr>::call;
  o.removexattr = Timed<FuseOp::removexattr, op_removexattr>::call;
  o.fallocate = Timed<FuseOp::fallocate, op_fallocate>::call;
  return o;
}

}  // namespace

const fuse_lowlevel_ops& fuse_operations() {
  static const fuse_lowlevel_ops ops = make_ops();  // immutable table, built once
  return ops;
}

}  // namespace peerstore
