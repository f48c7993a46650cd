// Sync counting for the store's tests: this test binary interposes fdatasync, fsync and pwrite
// (sync_counter.cc), so a test sees what reached the disk synchronously from the calling
// thread: explicit syncs, and writes to a descriptor opened with O_DSYNC (LMDB's meta page
// writes when it syncs them). Counters are per thread.
#pragma once

namespace peerstore::test {

struct SyncCount {
  int syncs = 0;         // fdatasync and fsync calls
  int dsync_writes = 0;  // pwrites to an O_DSYNC or O_SYNC descriptor
  int total() const { return syncs + dsync_writes; }
};

// What this thread has done since it started.
SyncCount syncs_on_this_thread();

// The difference over a scope: `SyncDelta d; ...; d.now().total()`.
class SyncDelta {
 public:
  SyncDelta() : at_(syncs_on_this_thread()) {}
  SyncCount now() const {
    SyncCount c = syncs_on_this_thread();
    return {c.syncs - at_.syncs, c.dsync_writes - at_.dsync_writes};
  }

 private:
  SyncCount at_;
};

}  // namespace peerstore::test
