// PeerMount: one `peerstorefs -f` process (a DHT node plus the FUSE mount) on directories the
// caller chose, for tests that run several mounts against one ring (tests/e2e). Unlike
// MountFixture it makes no directories and joins whatever address it is given. Its log (stderr
// and stdout) goes to a file. The destructor lazily unmounts, kills and reaps, whatever the test
// did. Uses doctest assertions: test thread only (the thread that spawned it: PDEATHSIG). Not
// thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/child_process.h"

namespace peerstore::test {

struct PeerMountOptions {
  std::string binary;      // peerstorefs
  std::string mountpoint;  // must exist
  std::string data;        // --data (the device key, the local store)
  std::string config;      // --config (the user's identity)
  std::string join;        // --join TOKEN or HOST:PORT; empty: a new ring
  std::string log_path;    // the process's output
  std::vector<std::string> extra_args;
};

class PeerMount {
 public:
  explicit PeerMount(PeerMountOptions options);
  ~PeerMount();
  PeerMount(const PeerMount&) = delete;
  PeerMount& operator=(const PeerMount&) = delete;

  // Starts peerstorefs and waits until the mount answers stat(); a REQUIRE failure with the log
  // otherwise. Joining may take the binary up to ~10 s, hence the default.
  void mount(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // fusermount3 -u, then waits for the process to exit (it uploads what is pending and leaves
  // the ring first). CHECKs both and exit status 0. Returns the exit status, -1 on failure.
  int unmount(std::chrono::milliseconds exit_timeout = std::chrono::seconds(180));
  // SIGKILL, then fusermount3 -uz: a power cut.
  void crash();

  bool running();
  bool is_mounted() const;
  ChildProcess* process() { return process_ ? &*process_ : nullptr; }
  const std::string& mountpoint() const { return o_.mountpoint; }
  std::string path(std::string_view relative) const;
  const std::string& data_dir() const { return o_.data; }
  const std::string& config_dir() const { return o_.config; }
  const std::string& join() const { return o_.join; }
  // Everything the process wrote so far.
  std::string log() const;
  // "peerstorefs MNT (pid N, ...) said, last lines:\n...": for failure messages.
  std::string describe(size_t last_lines = 40) const;

 private:
  void cleanup() noexcept;
  std::vector<std::string> command() const;

  PeerMountOptions o_;
  std::optional<ChildProcess> process_;
};

// The last `n` lines of `text`.
std::string tail_lines(const std::string& text, size_t n);

}  // namespace peerstore::test
