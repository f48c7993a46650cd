// FuseAdapter: the FUSE low-level operations table over a MountTree (the home volume's
// FileSystem and the volumes its links name). Each callback decodes the request, calls the
// tree and replies. Callbacks run on libfuse worker threads; the tree and its file systems do
// the locking.
#pragma once

#include <fuse_lowlevel.h>

namespace peerstore {

class MountTree;
class FuseMetrics;

struct FuseAdapterOptions {
  double entry_timeout = 5.0;  // seconds the kernel may cache names and attributes
  bool writeback_cache = true;
};

// The operations table; pass a FuseContext* as the session's userdata.
const fuse_lowlevel_ops& fuse_operations();

struct FuseContext {
  MountTree& tree;
  FuseAdapterOptions options;
  FuseMetrics* metrics = nullptr;  // counts every request when set; outlives the session
};

}  // namespace peerstore
