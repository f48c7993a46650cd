#include "fs/fuse_metrics.h"

#include <iterator>

namespace peerstore {
namespace {

constexpr const char* kNames[] = {
    "lookup", "forget",   "getattr",  "setattr",     "readlink",    "mknod",
    "mkdir",  "symlink",  "link",     "unlink",      "rmdir",       "rename",
    "open",   "create",   "read",     "write",       "flush",       "release",
    "fsync",  "opendir",  "readdir",  "readdirplus", "releasedir",  "fsyncdir",
    "statfs", "setxattr", "getxattr", "listxattr",   "removexattr", "fallocate"};
static_assert(std::size(kNames) == kFuseOps);

}  // namespace

const char* fuse_op_name(FuseOp op) {
  return size_t(op) < kFuseOps ? kNames[size_t(op)] : nullptr;
}

FuseMetrics::Snapshot FuseMetrics::snapshot() const {
  Snapshot s;
  for (size_t i = 0; i < kFuseOps; ++i) s.ops[i] = ops_[i].snapshot();
  s.bytes_read = bytes_read_.load(std::memory_order_relaxed);
  s.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace peerstore
