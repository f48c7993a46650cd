// MountSession: one FUSE mount of a MountTree (the home volume and the volumes it links): creates
// the session with the given mount options, mounts, runs FuseLoop until
// unmount or SIGINT/SIGTERM/SIGHUP, then commits and unmounts. Create and run from one thread; the
// loop spawns the workers.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "fs/fuse_adapter.h"

namespace peerstore {

class MountSession {
 public:
  struct Config {
    std::string mountpoint;
    std::vector<std::string> options;  // libfuse's -o mount options (validated by the caller)
    bool debug = false;
    // In a run of small reads, the reader stays awake this long after each (fs/fuse_loop.h).
    std::chrono::microseconds spin{0};
  };
  // Mounts now. `metrics`, if given, counts every request and must outlive the session.
  static Result<std::unique_ptr<MountSession>> mount(MountTree& tree, Config config,
                                                     FuseMetrics* metrics = nullptr);
  ~MountSession();  // unmounts if still mounted

  // Serves requests until unmounted or signalled; commits before returning.
  Status run();

 private:
  MountSession(MountTree& tree, std::chrono::microseconds spin) : ctx_{tree, {}}, spin_(spin) {}
  FuseContext ctx_;
  fuse_session* se_ = nullptr;
  bool mounted_ = false;
  bool signals_ = false;
  std::chrono::microseconds spin_;
};

}  // namespace peerstore
