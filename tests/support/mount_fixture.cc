// MountFixture: see mount_fixture.h. Every way out (success, failed CHECK, thrown REQUIRE,
// constructor failure) goes through cleanup(): lazy unmount, end the process, remove the dirs.
#include "support/mount_fixture.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <thread>

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kMountTimeout = 15s;
constexpr auto kExitTimeout = 30s;  // a clean exit commits; give it time on a loaded machine

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// strerror as a std::string: doctest prints a char* as a pointer.
std::string errno_text(int e) {
  return strerror(e);
}

bool find_in_path(const std::string& name) {
  const char* path = getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(ss, dir, ':');)
    if (access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  return false;
}

int remove_entry(const char* path, const struct stat*, int, struct FTW*) {
  remove(path);
  return 0;  // keep going: best effort
}

std::string canonical(const std::string& path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : path;
}

// Mountpoints of all "fuse*" mounts, in mountinfo order (later mounts stack on earlier ones).
std::vector<std::string> fuse_mountpoints() {
  std::ifstream in("/proc/self/mountinfo");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
    std::istringstream fields(line);
    std::string id, parent, dev, root, mountpoint;
    fields >> id >> parent >> dev >> root >> mountpoint;
    size_t sep = line.find(" - ");
    if (sep == std::string::npos) continue;
    std::istringstream tail(line.substr(sep + 3));
    std::string fstype;
    tail >> fstype;
    if (fstype.rfind("fuse", 0) == 0) out.push_back(unescape_mountinfo(mountpoint));
  }
  return out;
}

}  // namespace

bool fuse_mounted_at(const std::string& path, int* count) {
  int n = 0;
  for (const auto& m : fuse_mountpoints()) n += m == path;
  if (count) *count = n;
  return n > 0;
}

std::vector<std::string> fuse_mounts_under(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& m : fuse_mountpoints())
    if (m == dir || m.rfind(dir + "/", 0) == 0) out.push_back(m);
  return out;
}

int run_fusermount(const std::vector<std::string>& args, const std::string& mountpoint,
                   const std::string& log_path, std::string* output) {
  std::vector<std::string> argv{"fusermount3"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(mountpoint);
  try {
    ChildProcess p(argv, SpawnOptions{.stderr_path = log_path});
    auto status = p.wait_exit(20s);
    if (!status) p.kill9();
    if (output) *output = p.output();
    return status ? *status : -1;
  } catch (const std::exception& e) {
    if (output) *output = e.what();
    return -1;
  }
}

void remove_tree(const std::string& path) noexcept {
  // FTW_MOUNT: never descend into a mount that is still there (that would delete through it).
  nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

MountFixture::MountFixture(MountOptions options) : options_(std::move(options)) {
  if (!check_usable()) return;
  saved_umask_ = umask(0);  // tests state exact modes; posix tests set their own umask to test it
  const char* keep = getenv("PEERSTORE_TEST_KEEP");
  keep_ = keep && *keep && std::string(keep) != "0";
  const char* plain = getenv("PEERSTORE_TEST_DIR");
  // test.sh gives each run its own directory so its cleanup touches only this run's mounts.
  const char* tmp_root = getenv("PEERSTORE_TEST_TMPDIR");
  std::string parent = real_ ? (tmp_root && *tmp_root ? std::string(tmp_root) : "/tmp") : canonical(plain);
  std::string tmpl = parent + "/peerstore-mt-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    int e = errno;
    umask(saved_umask_);
    usable_ = false;
    FAIL("mkdtemp under " << parent << ": " << errno_text(e));
  }
  base_ = canonical(tmpl);
  // 0755 down to the mountpoint: the permission tests reach it as uid 65534.
  chmod(base_.c_str(), 0755);
  mnt_ = base_ + "/mnt";
  mkdir(mnt_.c_str(), 0755);
  if (!real_) return;
  data_ = base_ + "/data";
  config_ = base_ + "/config";
  mkdir(data_.c_str(), 0700);
  mkdir(config_.c_str(), 0700);
  try {
    if (options_.mount_now) mount();
  } catch (...) {
    cleanup();  // the destructor will not run for a half-made object
    throw;
  }
}

MountFixture::~MountFixture() {
  cleanup();
}

bool MountFixture::check_usable() {
  const char* plain = getenv("PEERSTORE_TEST_DIR");
  if (plain && *plain) {
    usable_ = true;
    real_ = false;
    return true;
  }
  std::string reason;
  const char* bin = getenv("PEERSTOREFS");
  if (!bin || !*bin) {
    reason = "PEERSTOREFS is not set (meson sets it; or set PEERSTORE_TEST_DIR for a plain dir)";
  } else if (access(bin, X_OK) != 0) {
    reason = std::string("PEERSTOREFS=") + bin + " is not an executable: " + strerror(errno);
  } else if (int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC); fd < 0) {
    reason = std::string("cannot open /dev/fuse: ") + strerror(errno);
  } else {
    close(fd);
    if (!find_in_path("fusermount3")) reason = "fusermount3 is not in PATH";
  }
  if (!reason.empty()) {
    if (getenv("CI")) {
      FAIL_CHECK("FUSE is unusable and CI is set, so this is a failure: " << reason);
    } else {
      MESSAGE("SKIPPED (set CI to make this a failure): " << reason);
    }
    usable_ = false;
    return false;
  }
  binary_ = bin;
  usable_ = true;
  real_ = true;
  return true;
}

bool MountFixture::require_real_mount() const {
  if (!usable_) return false;
  if (!real_) MESSAGE("SKIPPED: needs a real peerstorefs mount (PEERSTORE_TEST_DIR is set)");
  return real_;
}

std::string MountFixture::path(std::string_view relative) const {
  if (relative.empty()) return mnt_;
  return mnt_ + "/" + std::string(relative);
}

std::string MountFixture::new_log_path(std::string_view stem) {
  return base_ + "/" + std::string(stem) + "-" + std::to_string(++runs_) + ".log";
}

std::vector<std::string> MountFixture::command(const std::string& mountpoint,
                                               const std::string& data, const std::string& config,
                                               bool foreground) const {
  std::vector<std::string> argv{binary_, mountpoint, "--data", data, "--config", config};
  if (foreground) argv.push_back("-f");
  if (!options_.fuse_options.empty()) {
    std::string joined;
    for (const auto& o : options_.fuse_options) joined += (joined.empty() ? "" : ",") + o;
    argv.push_back("-o");
    argv.push_back(joined);
  }
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());
  return argv;
}

bool MountFixture::is_mounted() const {
  return real_ && fuse_mounted_at(mnt_);
}

std::string MountFixture::log() const {
  return process_ ? process_->describe() : std::string();
}

void MountFixture::mount() {
  REQUIRE_MESSAGE(real_, "mount() needs a real mount");
  REQUIRE_MESSAGE(!(process_ && process_->running()), "peerstorefs is already running");
  REQUIRE_MESSAGE(!is_mounted(), "something is still mounted at " << mnt_);
  std::string log_path = new_log_path("peerstorefs");
  try {
    process_.emplace(command(mnt_, data_, config_), SpawnOptions{.stderr_path = log_path});
  } catch (const std::exception& e) {
    FAIL("cannot start peerstorefs: " << std::string(e.what()));
  }
  auto deadline = std::chrono::steady_clock::now() + kMountTimeout;
  for (;;) {
    if (is_mounted()) break;
    if (!process_->running()) FAIL("peerstorefs exited before mounting: " << log());
    if (std::chrono::steady_clock::now() >= deadline)
      FAIL("no fuse mount at " << mnt_ << " after 15 s: " << log());
    std::this_thread::sleep_for(10ms);
  }
  // Listed in mountinfo is not yet answering; probe from a child so a hung mount cannot hang us.
  std::string mnt = mnt_;
  int probe = run_forked(
      [&mnt] {
        struct stat st;
        return stat(mnt.c_str(), &st) == 0 && S_ISDIR(st.st_mode) ? 0 : 1;
      },
      std::nullopt, std::chrono::duration_cast<std::chrono::milliseconds>(kMountTimeout));
  REQUIRE_MESSAGE(probe == 0, "the mount at " << mnt_ << " does not answer stat() (probe status "
                                              << probe << "): " << log());
  expect_running_ = true;
}

bool MountFixture::wait_for_exit(std::chrono::milliseconds timeout) {
  return process_ && process_->wait_exit(timeout).has_value();
}

int MountFixture::unmount() {
  REQUIRE_MESSAGE(real_, "unmount() needs a real mount");
  REQUIRE_MESSAGE((process_ && process_->running()),
                  "unmount(): peerstorefs is not running: " << log());
  expect_running_ = false;
  std::string out;
  int rc = run_fusermount({"-u"}, mnt_, new_log_path("fusermount"), &out);
  CHECK_MESSAGE(rc == 0, "fusermount3 -u " << mnt_ << " failed (" << rc << "): " << out
                                           << "\n(is a file on the mount still open?)");
  if (rc != 0) return -1;
  if (!wait_for_exit(kExitTimeout)) {
    FAIL_CHECK("peerstorefs still runs 30 s after fusermount3 -u: " << log());
    return -1;
  }
  int status = *process_->exit_status();
  CHECK_MESSAGE(status == 0, "peerstorefs exit status after fusermount3 -u: " << log());
  CHECK_FALSE(is_mounted());
  return status;
}

void MountFixture::remount() {
  int status = unmount();
  REQUIRE_MESSAGE(status == 0, "remount: unmounting failed, status " << status);
  mount();
}

void MountFixture::crash() {
  REQUIRE_MESSAGE((process_ && process_->running()),
                  "crash(): peerstorefs is not running: " << log());
  expect_running_ = false;
  process_->kill9();
  std::string out;
  int rc = run_fusermount({"-uz"}, mnt_, new_log_path("fusermount"), &out);
  CHECK_MESSAGE(rc == 0, "fusermount3 -uz after kill -9 failed (" << rc << "): " << out);
  CHECK_FALSE(is_mounted());
}

int MountFixture::stop_with_signal(int sig) {
  REQUIRE_MESSAGE((process_ && process_->running()), "peerstorefs is not running: " << log());
  expect_running_ = false;
  process_->signal(sig);
  if (!wait_for_exit(kExitTimeout)) {
    FAIL_CHECK("peerstorefs still runs 30 s after signal " << sig << ": " << log());
    return -1;
  }
  return *process_->exit_status();
}

void MountFixture::cleanup() noexcept {
  try {
    if (real_ && !base_.empty()) {
      if (expect_running_ && process_ && !process_->running() && std::uncaught_exceptions() == 0)
        FAIL_CHECK("peerstorefs died during the test: " << log());
      expect_running_ = false;
      // Lazily detach every fuse mount in our dirs, newest first (a bad start-up test may have
      // stacked one on the mountpoint or mounted a second mountpoint), so the processes see
      // the unmount and no test leaves a dead mount behind.
      bool unmounted = false;
      for (int round = 0; round < 4; ++round) {
        auto mounts = fuse_mounts_under(base_);
        if (mounts.empty()) break;
        for (auto it = mounts.rbegin(); it != mounts.rend(); ++it)
          run_fusermount({"-uz"}, *it, base_ + "/fusermount-cleanup.log");
        unmounted = true;
      }
      if (process_ && process_->running()) {
        // After an unmount it should exit by itself (and commit); if it never mounted, ask.
        if (!unmounted || !process_->wait_exit(10s)) process_->terminate(5s);
      }
      process_.reset();
    }
    if (saved_umask_ >= 0) umask(saved_umask_);
    saved_umask_ = -1;
    if (!base_.empty()) {
      if (keep_) {
        MESSAGE("PEERSTORE_TEST_KEEP: left " << base_);
      } else {
        remove_tree(base_);
      }
      base_.clear();
    }
  } catch (...) {
    // A destructor must not throw; cleanup is best effort by nature.
  }
}

}  // namespace peerstore::test
