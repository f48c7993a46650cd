// MountFixture: a real peerstorefs mount for one test case, in fresh temp dirs
// (/tmp/peerstore-mt-XXXXXX/{mnt,data,config}), torn down whatever the test did: the destructor
// lazily unmounts, kills the process and removes the dirs. Uses doctest assertions, so it may
// only be used inside a test case, on the test's thread. Not thread-safe.
//
// Environment:
//   PEERSTOREFS=/path/to/peerstorefs  the binary under test (meson sets it)
//   PEERSTORE_TEST_DIR=/some/dir      no mount: the test runs in a fresh dir under /some/dir
//                                     (checks the POSIX expectations against a plain fs)
//   CI=...                            FUSE unusable is a test failure instead of a skip
//   PEERSTORE_TEST_KEEP=1             keep the temp dirs (for post-mortems)
//
// Usage:
//   MountFixture fx;
//   if (!fx.usable()) return;            // skip or failure already reported
//   if (!fx.require_real_mount()) return;  // for tests that make no sense on a plain dir
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/child_process.h"

namespace peerstore::test {

struct MountOptions {
  std::vector<std::string> fuse_options;  // passed as one "-o a,b,c"
  std::vector<std::string> extra_args;    // appended to the command line
  bool mount_now = true;                  // false: only make the dirs; call mount() later
};

class MountFixture {
 public:
  explicit MountFixture(MountOptions options = {});
  ~MountFixture();
  MountFixture(const MountFixture&) = delete;
  MountFixture& operator=(const MountFixture&) = delete;

  // False if FUSE or the binary is unavailable; the reason was already reported (a MESSAGE
  // when skipping, a failure when CI is set). The test must return.
  bool usable() const { return usable_; }
  // True for a peerstorefs mount, false in PEERSTORE_TEST_DIR mode.
  bool real() const { return real_; }
  // In PEERSTORE_TEST_DIR mode: reports the skip and returns false.
  bool require_real_mount() const;

  // The mount (or plain test dir), and a path below it.
  const std::string& mountpoint() const { return mnt_; }
  std::string path(std::string_view relative) const;
  const std::string& base_dir() const { return base_; }
  const std::string& data_dir() const { return data_; }
  const std::string& config_dir() const { return config_; }

  // Starts peerstorefs on the same dirs and waits (15 s) until the mount answers; a doctest
  // REQUIRE failure with the captured log otherwise.
  void mount();
  // fusermount3 -u (CHECKed to succeed), then waits for peerstorefs to exit. Returns its exit
  // status (see ChildProcess::wait_exit), or -1 if it did not exit within 30 s.
  int unmount();
  // unmount(), CHECKing exit status 0, then mount().
  void remount();
  // SIGKILL, then fusermount3 -uz: a power cut as far as the process is concerned.
  void crash();
  // Sends `sig` (SIGTERM, SIGINT) and waits up to 30 s for the exit; returns the status or -1.
  int stop_with_signal(int sig);

  // True if /proc/self/mountinfo lists a fuse mount at the mountpoint.
  bool is_mounted() const;
  // The running (or last) peerstorefs, nullptr before the first mount.
  ChildProcess* process() { return process_ ? &*process_ : nullptr; }
  // Everything the current (or last) peerstorefs wrote to stdout/stderr.
  std::string log() const;
  // The peerstorefs command line for these dirs (for start-up tests that vary it).
  std::vector<std::string> command(const std::string& mountpoint, const std::string& data,
                                   const std::string& config, bool foreground = true) const;
  // The binary from $PEERSTOREFS.
  const std::string& binary() const { return binary_; }
  // A fresh log file path in the base dir, for other processes a test starts.
  std::string new_log_path(std::string_view stem);

 private:
  void cleanup() noexcept;
  bool check_usable();
  bool wait_for_exit(std::chrono::milliseconds timeout);

  MountOptions options_;
  bool usable_ = false;
  bool real_ = false;
  bool keep_ = false;
  bool expect_running_ = false;  // mounted and not yet deliberately stopped
  std::string binary_;
  std::string base_, mnt_, data_, config_;
  std::optional<ChildProcess> process_;
  int runs_ = 0;
  int saved_umask_ = -1;
};

// Runs `fusermount3 ARGS... MOUNTPOINT` and returns its exit status (-1 if it hung for 20 s).
// `output`, if given, receives what it printed.
int run_fusermount(const std::vector<std::string>& args, const std::string& mountpoint,
                   const std::string& log_path, std::string* output = nullptr);

// True if /proc/self/mountinfo lists a mount of a "fuse*" type at `path` (as written there,
// i.e. canonical). `count` receives how many such mounts are stacked there.
bool fuse_mounted_at(const std::string& path, int* count = nullptr);
// Mountpoints of the fuse mounts at or below `dir`, oldest first.
std::vector<std::string> fuse_mounts_under(const std::string& dir);

// Removes a directory tree without crossing into other mounts. Best effort.
void remove_tree(const std::string& path) noexcept;

}  // namespace peerstore::test
