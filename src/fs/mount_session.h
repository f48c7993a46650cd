// MountSession: one FUSE mount of a MountTree (the home volume and the volumes it links): creates
// the session with the given mount options, mounts, runs libfuse's multi-threaded loop until
// unmount or SIGINT/SIGTERM/SIGHUP, then commits and unmounts. Create and run from one thread; the
// loop spawns the workers.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "fs/fuse_adapter.h"

namespace peerstore {

class MountSession {
 public:
  // Mounts now. `options` are -o mount options (validated by the caller). `metrics`, if given,
  // counts every request and must outlive the session.
  static Result<std::unique_ptr<MountSession>> mount(MountTree& tree, const std::string& mountpoint,
                                                     const std::vector<std::string>& options,
                                                     bool debug, FuseMetrics* metrics = nullptr);
  ~MountSession();  // unmounts if still mounted

  // Serves requests until unmounted or signalled; commits before returning.
  Status run();

 private:
  MountSession(MountTree& tree) : ctx_{tree, {}} {}
  FuseContext ctx_;
  fuse_session* se_ = nullptr;
  bool mounted_ = false;
  bool signals_ = false;
};

}  // namespace peerstore
