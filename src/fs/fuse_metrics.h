// FuseMetrics: how many FUSE requests of each kind a mount answered, how long they took, and the
// bytes read and written through it, for the dashboard's /metrics. FuseAdapter records from the
// libfuse worker threads; the dashboard reads from its own: lock-free counters, thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "common/latency_histogram.h"

namespace peerstore {

enum class FuseOp : uint8_t {
  lookup,
  forget,
  getattr,
  setattr,
  readlink,
  mknod,
  mkdir,
  symlink,
  link,
  unlink,
  rmdir,
  rename,
  open,
  create,
  read,
  write,
  flush,
  release,
  fsync,
  opendir,
  readdir,
  readdirplus,
  releasedir,
  fsyncdir,
  statfs,
  setxattr,
  getxattr,
  listxattr,
  removexattr,
  fallocate,
  count_  // not an operation: how many there are
};
inline constexpr size_t kFuseOps = size_t(FuseOp::count_);
// "getattr"; nullptr for count_.
const char* fuse_op_name(FuseOp op);

class FuseMetrics {
 public:
  struct Snapshot {
    std::array<LatencyHistogram::Snapshot, kFuseOps> ops;  // the request count is the total
    uint64_t bytes_read = 0, bytes_written = 0;
  };

  // A request of kind `op` took `us` from the callback's start to its reply.
  void record(FuseOp op, uint64_t us) { ops_[size_t(op)].record_us(us); }
  void add_read(uint64_t bytes) { bytes_read_.fetch_add(bytes, std::memory_order_relaxed); }
  void add_written(uint64_t bytes) { bytes_written_.fetch_add(bytes, std::memory_order_relaxed); }
  Snapshot snapshot() const;

 private:
  std::array<LatencyHistogram, kFuseOps> ops_;
  std::atomic<uint64_t> bytes_read_{0}, bytes_written_{0};
};

}  // namespace peerstore
