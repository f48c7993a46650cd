// PeerMount: see peer_mount.h. Mount detection and the fusermount3 helpers are MountFixture's.
#include "support/peer_mount.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <exception>
#include <thread>

#include "support/mount_fixture.h"

namespace peerstore::test {
using namespace std::chrono_literals;

std::string tail_lines(const std::string& text, size_t n) {
  size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (size_t lines = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++lines == n) break;
  }
  return (pos > 0 ? "[...]\n" : "") + text.substr(pos);
}

PeerMount::PeerMount(PeerMountOptions options) : o_(std::move(options)) {}

PeerMount::~PeerMount() {
  cleanup();
}

std::vector<std::string> PeerMount::command() const {
  std::vector<std::string> argv{o_.binary,  o_.mountpoint, "--data", o_.data,
                                "--config", o_.config,     "-f"};
  if (!o_.join.empty()) argv.insert(argv.end(), {"--join", o_.join});
  argv.insert(argv.end(), o_.extra_args.begin(), o_.extra_args.end());
  return argv;
}

bool PeerMount::running() {
  return process_ && process_->running();
}

bool PeerMount::is_mounted() const {
  return fuse_mounted_at(o_.mountpoint);
}

std::string PeerMount::path(std::string_view relative) const {
  return relative.empty() ? o_.mountpoint : o_.mountpoint + "/" + std::string(relative);
}

std::string PeerMount::log() const {
  return process_ ? process_->output() : std::string();
}

std::string PeerMount::describe(size_t last_lines) const {
  std::string s = "peerstorefs " + o_.mountpoint + " (data " + o_.data + ", join " +
                  (o_.join.empty() ? "none" : o_.join);
  if (process_) {
    s += ", pid " + std::to_string(process_->pid());
    auto st = process_->exit_status();
    s += st ? ", exit status " + std::to_string(*st) : std::string(", running");
  }
  return redact_invite_tokens(s + ") said, last lines:\n" + tail_lines(log(), last_lines));
}

void PeerMount::mount(std::chrono::milliseconds timeout) {
  REQUIRE_MESSAGE(!running(), "peerstorefs is already running on " << o_.mountpoint);
  REQUIRE_MESSAGE(!is_mounted(), "something is still mounted at " << o_.mountpoint);
  try {
    process_.emplace(command(), SpawnOptions{.stderr_path = o_.log_path});
  } catch (const std::exception& e) {
    FAIL("cannot start peerstorefs: " << std::string(e.what()));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!is_mounted()) {
    if (!process_->running()) FAIL("peerstorefs exited before mounting: " << describe());
    if (std::chrono::steady_clock::now() >= deadline)
      FAIL("no fuse mount at " << o_.mountpoint << " after " << timeout.count()
                               << " ms: " << describe());
    std::this_thread::sleep_for(20ms);
  }
  // Listed in mountinfo is not yet answering; probe from a child so a hung mount cannot hang us.
  std::string mnt = o_.mountpoint;
  int probe = run_forked(
      [&mnt] {
        struct stat st;
        return stat(mnt.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? 0 : 1;
      },
      std::nullopt, timeout);
  REQUIRE_MESSAGE(probe == 0, "the mount at " << o_.mountpoint << " does not answer stat() (probe "
                                              << probe << "): " << describe());
}

int PeerMount::unmount(std::chrono::milliseconds exit_timeout) {
  REQUIRE_MESSAGE(running(), "unmount(): peerstorefs is not running: " << describe());
  std::string out;
  int rc = run_fusermount({"-u"}, o_.mountpoint, o_.log_path + ".fusermount", &out);
  CHECK_MESSAGE(rc == 0, "fusermount3 -u " << o_.mountpoint << " failed (" << rc << "): " << out
                                           << "\n(is a file on the mount still open?)");
  if (rc != 0) return -1;
  auto status = process_->wait_exit(exit_timeout);
  if (!status) {
    FAIL_CHECK("peerstorefs still runs " << exit_timeout.count()
                                         << " ms after fusermount3 -u: " << describe());
    return -1;
  }
  CHECK_MESSAGE(*status == 0, "peerstorefs exit status after fusermount3 -u: " << describe());
  return *status;
}

void PeerMount::crash() {
  REQUIRE_MESSAGE(running(), "crash(): peerstorefs is not running: " << describe());
  process_->kill9();
  std::string out;
  int rc = run_fusermount({"-uz"}, o_.mountpoint, o_.log_path + ".fusermount", &out);
  CHECK_MESSAGE(rc == 0, "fusermount3 -uz after kill -9 failed (" << rc << "): " << out);
}

void PeerMount::cleanup() noexcept {
  try {
    // Detach first, so the process sees the unmount; then it must go, nicely or not: a test
    // that ends here has already checked what it wanted of a clean exit.
    for (int round = 0; round < 4 && is_mounted(); ++round)
      run_fusermount({"-uz"}, o_.mountpoint, o_.log_path + ".fusermount");
    if (process_ && process_->running()) process_->kill9();
    process_.reset();
  } catch (...) {
    // A destructor must not throw; cleanup is best effort.
  }
}

}  // namespace peerstore::test
