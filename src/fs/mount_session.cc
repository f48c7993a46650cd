#include "fs/mount_session.h"

#include "common/log.h"
#include "fs/fuse_loop.h"
#include "fs/mount_tree.h"

namespace peerstore {

Result<std::unique_ptr<MountSession>> MountSession::mount(MountTree& tree, Config config,
                                                          FuseMetrics* metrics) {
  const std::string& mountpoint = config.mountpoint;
  std::unique_ptr<MountSession> m(new MountSession(tree, config.spin));
  m->ctx_.metrics = metrics;
  std::string opts = "fsname=peerstore,subtype=peerstorefs,default_permissions";
  for (auto& o : config.options) opts += "," + o;
  std::vector<std::string> argv_s = {"peerstorefs", "-o", opts};
  if (config.debug) argv_s.push_back("-d");
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(int(argv.size()), argv.data());
  m->se_ = fuse_session_new(&args, &fuse_operations(), sizeof(fuse_lowlevel_ops), &m->ctx_);
  if (!m->se_) return fail(Errc::invalid, "cannot create the FUSE session (bad -o option?)");
  if (fuse_set_signal_handlers(m->se_) != 0)
    return fail(Errc::io, "cannot install signal handlers");
  m->signals_ = true;
  if (fuse_session_mount(m->se_, mountpoint.c_str()) != 0)
    return fail(Errc::io, "cannot mount on " + mountpoint +
                              " (is /dev/fuse available and fusermount3 installed?)");
  m->mounted_ = true;
  // Live sync tells the kernel what other computers changed. From the sync thread, never from
  // a request handler; an inode or name the kernel does not hold answers ENOENT, which is fine.
  fuse_session* se = m->se_;
  tree.set_notifier([se](const FileSystem::Invalidation& inv) {
    for (uint64_t ino : inv.inodes) fuse_lowlevel_notify_inval_inode(se, fuse_ino_t(ino), 0, 0);
    for (auto& [dir, name] : inv.entries)
      fuse_lowlevel_notify_inval_entry(se, fuse_ino_t(dir), name.data(), name.size());
    // A reader holding a file open keeps the kernel's size for it; a grown file's last byte,
    // stored into the kernel's cache, extends that size (a shrunk one stays long until closed).
    for (auto& g : inv.grown) {
      uint8_t byte = g.last;
      fuse_bufvec buf = FUSE_BUFVEC_INIT(1);
      buf.buf[0].mem = &byte;
      fuse_lowlevel_notify_store(se, fuse_ino_t(g.ino), off_t(g.size - 1), &buf,
                                 fuse_buf_copy_flags(0));
    }
  });
  return m;
}

MountSession::~MountSession() {
  ctx_.tree.set_notifier(nullptr);
  if (!se_) return;
  if (mounted_) fuse_session_unmount(se_);
  if (signals_) fuse_remove_signal_handlers(se_);
  fuse_session_destroy(se_);
}

Status MountSession::run() {
  int rc = FuseLoop(se_, {.max_threads = 16, .spin = spin_}).run();
  ctx_.tree.set_notifier(nullptr);
  int e = ctx_.tree.commit();  // after SIGTERM the kernel never sent destroy
  fuse_session_unmount(se_);
  mounted_ = false;
  if (e) return fail(Errc::io, "final commit failed");
  if (rc < 0) return fail(Errc::io, "FUSE loop failed");
  return {};
}

}  // namespace peerstore
