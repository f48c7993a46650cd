// Mount tests, start-up: each bad start (missing mountpoint, a mountpoint or data dir already in
// use by another peerstorefs, unreadable or garbled identity files, unknown options) exits
// non-zero within 10 s with exactly one line on stderr and leaves no mount behind; without -f
// the command returns only once the mount works, also with relative directories and through
// mount(8) with an fstab line. Needs a real mount.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"
#include "support/notify_socket.h"

namespace peerstore::test {
namespace {

using namespace std::chrono_literals;

// Starts `argv` (stdout and stderr captured apart), expects a clean failure.
void expect_bad_start(MountFixture& fx, const std::vector<std::string>& argv,
                      const std::string& mountpoint, std::optional<RunAs> run_as = {}) {
  SpawnOptions options{.stderr_path = fx.new_log_path("bad-start-stderr"),
                       .stdout_path = fx.new_log_path("bad-start-stdout")};
  if (run_as) options.uid = run_as->uid, options.gid = run_as->gid;
  int mounts_before = 0;
  fuse_mounted_at(mountpoint, &mounts_before);
  ChildProcess p(argv, options);
  auto status = p.wait_exit(10s);
  if (!status) p.kill9();
  std::string err = p.output();
  CHECK_MESSAGE(status.has_value(), "still running after 10 s: " << p.describe());
  if (status) {
    CHECK_MESSAGE(*status != 0, "exited 0: " << p.describe());
    CHECK_MESSAGE(*status < 128, "killed by a signal instead of exiting: " << p.describe());
  }
  CHECK_MESSAGE(count_lines(err) == 1, "expected exactly one line on stderr, got "
                                           << count_lines(err) << ": " << p.describe());
  int mounts_after = 0;
  fuse_mounted_at(mountpoint, &mounts_after);
  CHECK_MESSAGE(mounts_after == mounts_before, "mounts at " << mountpoint << ": " << mounts_before
                                                            << " before, " << mounts_after
                                                            << " after");
  MESSAGE("bad start said: " << err);
  // A mount the failed start left behind would hide the first mount or outlive the test.
  for (int i = mounts_before; i < mounts_after; ++i)
    run_fusermount({"-uz"}, mountpoint, fx.new_log_path("fusermount"));
}

std::string make_dir(const std::string& path, mode_t mode) {
  REQUIRE_OK(mkdir(path.c_str(), mode));
  return path;
}

// The files under dir, recursively.
std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : read_dir(dir)) {
    std::string full = dir + "/" + e.name;
    struct stat st = lstat_of(full);
    if (S_ISDIR(st.st_mode)) {
      for (auto& f : files_under(full)) out.push_back(f);
    } else if (S_ISREG(st.st_mode)) {
      out.push_back(full);
    }
  }
  return out;
}

// True while pid exists and is not a zombie (an orphaned daemon is reaped by init, which may
// take its time, or never in a minimal container).
bool process_alive(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return false;
  std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

void chown_tree(const std::string& path, uid_t uid, gid_t gid) {
  REQUIRE_OK(lchown(path.c_str(), uid, gid));
  if (!S_ISDIR(lstat_of(path).st_mode)) return;
  for (const auto& e : read_dir(path)) chown_tree(path + "/" + e.name, uid, gid);
}

// Ends a daemonized peerstorefs if anything fails: it is not our child, but its command line
// names our unique mountpoint.
struct DaemonReaper {
  std::string mnt, log;
  ~DaemonReaper() {
    if (fuse_mounted_at(mnt)) run_fusermount({"-uz"}, mnt, log);
    for (pid_t pid : pids_with_argument(mnt)) kill(pid, SIGKILL);
  }
};

}  // namespace

TEST_CASE("startup: a missing mountpoint") {
  MountFixture fx(MountOptions{.mount_now = false});
  if (!fx.require_real_mount()) return;
  std::string missing = fx.base_dir() + "/does-not-exist";
  expect_bad_start(fx, fx.command(missing, fx.data_dir(), fx.config_dir()), missing);
  CHECK_ERRNO(access(missing.c_str(), F_OK), ENOENT);
}

TEST_CASE("startup: a mountpoint already mounted by another peerstorefs") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  write_file(fx.path("f"), "first mount");
  std::string data2 = make_dir(fx.base_dir() + "/data2", 0700);
  std::string config2 = make_dir(fx.base_dir() + "/config2", 0700);
  expect_bad_start(fx, fx.command(fx.mountpoint(), data2, config2), fx.mountpoint());
  CHECK_EQ(read_file(fx.path("f")), "first mount");  // the first mount is unharmed
  REQUIRE(fx.process()->running());
  CHECK_EQ(fx.unmount(), 0);
}

TEST_CASE("startup: a data dir in use by another running peerstorefs") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  write_file(fx.path("f"), "first mount");
  std::string mnt2 = make_dir(fx.base_dir() + "/mnt2", 0755);
  expect_bad_start(fx, fx.command(mnt2, fx.data_dir(), fx.config_dir()), mnt2);
  CHECK_FALSE(fuse_mounted_at(mnt2));
  CHECK_EQ(read_file(fx.path("f")), "first mount");
  write_file(fx.path("g"), "still writable");
  REQUIRE(fx.process()->running());
  CHECK_EQ(fx.unmount(), 0);
}

TEST_CASE("startup: unreadable or garbled identity files") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  write_file(fx.path("f"), "x");
  REQUIRE_EQ(fx.unmount(), 0);
  std::vector<std::string> files = files_under(fx.config_dir());
  REQUIRE_MESSAGE(!files.empty(), "peerstorefs left no files in the config dir");

  SUBCASE("garbage in every config file") {
    for (const auto& f : files) {
      struct stat st = stat_of(f);
      Fd fd = open_or_die(f, O_WRONLY | O_TRUNC);
      write_at(fd.get(), random_bytes(std::max<off_t>(st.st_size, 16), 6001), 0);
    }
    expect_bad_start(fx, fx.command(fx.mountpoint(), fx.data_dir(), fx.config_dir()),
                     fx.mountpoint());
  }
  SUBCASE("config files mode 000, started as uid 65534") {
    if (geteuid() != 0) {
      MESSAGE("SKIPPED: needs root to switch to uid 65534");
      return;
    }
    // Everything belongs to 65534 so that only the unreadable files stand in the way.
    for (const auto& dir : {fx.mountpoint(), fx.data_dir(), fx.config_dir()})
      chown_tree(dir, kNobody, kNobody);
    for (const auto& f : files) REQUIRE_OK(chmod(f.c_str(), 0));
    // uid 65534 runs a copy of the binary: the build may be under a directory it cannot enter
    // (a clone in root's 0700 home), and then it would fail to start at all.
    auto argv = fx.command(fx.mountpoint(), fx.data_dir(), fx.config_dir());
    std::string bin = make_dir(fx.base_dir() + "/nobody-bin", 0755) + "/peerstorefs";
    std::error_code ec;
    std::filesystem::copy_file(argv[0], bin, ec);
    REQUIRE_MESSAGE(!ec, "cannot copy " << argv[0] << ": " << ec.message());
    REQUIRE_OK(chmod(bin.c_str(), 0755));
    argv[0] = bin;
    expect_bad_start(fx, argv, fx.mountpoint(), RunAs{kNobody, kNobody});
  }
}

TEST_CASE("startup: unknown options") {
  MountFixture fx(MountOptions{.mount_now = false});
  if (!fx.require_real_mount()) return;
  SUBCASE("an unknown --option") {
    auto argv = fx.command(fx.mountpoint(), fx.data_dir(), fx.config_dir());
    argv.push_back("--no-such-option");
    expect_bad_start(fx, argv, fx.mountpoint());
  }
  SUBCASE("an unknown -o mount option") {
    auto argv = fx.command(fx.mountpoint(), fx.data_dir(), fx.config_dir());
    argv.insert(argv.end(), {"-o", "no_such_mount_option"});
    expect_bad_start(fx, argv, fx.mountpoint());
  }
}

TEST_CASE("startup: without -f it returns only once the mount works") {
  MountFixture fx(MountOptions{.mount_now = false});
  if (!fx.require_real_mount()) return;
  const std::string mnt = fx.mountpoint();
  DaemonReaper reaper{mnt, fx.new_log_path("fusermount-reaper")};

  struct stat base = stat_of(fx.base_dir());
  // The data and config directories as relative paths, from the base directory: the daemon
  // changes to / after the fork, and its store once went to /data while its keys were written
  // to BASE/data.
  auto relative = [&](const std::string& dir) {
    REQUIRE(dir.rfind(fx.base_dir() + "/", 0) == 0);
    return dir.substr(fx.base_dir().size() + 1);
  };
  ChildProcess p(fx.command(mnt, relative(fx.data_dir()), relative(fx.config_dir()),
                            /*foreground=*/false),
                 SpawnOptions{.stderr_path = fx.new_log_path("daemon"), .cwd = fx.base_dir()});
  auto status = p.wait_exit(15s);
  REQUIRE_MESSAGE(status.has_value(), "without -f it did not return in 15 s: " << p.describe());
  REQUIRE_MESSAGE(*status == 0, p.describe());
  // Right away, no waiting: the mount must answer.
  struct stat st = stat_of(mnt);
  CHECK_NE(st.st_dev, base.st_dev);
  CHECK(fuse_mounted_at(mnt));
  write_file(mnt + "/daemon-file", "from the daemon");
  CHECK_EQ(read_file(mnt + "/daemon-file"), "from the daemon");

  std::vector<pid_t> daemons = pids_with_argument(mnt);
  CHECK_FALSE(daemons.empty());
  std::string out;
  REQUIRE_EQ(run_fusermount({"-u"}, mnt, fx.new_log_path("fusermount"), &out), 0);
  bool gone = false;
  for (int i = 0; i < 300 && !gone; ++i) {
    gone = true;
    for (pid_t pid : daemons) gone &= !process_alive(pid);
    if (!gone) std::this_thread::sleep_for(50ms);
  }
  CHECK_MESSAGE(gone, "the daemon still runs 15 s after fusermount3 -u");

  // Its store is in the data directory it was given.
  struct stat store_st;
  CHECK_MESSAGE(::stat((fx.data_dir() + "/store").c_str(), &store_st) == 0,
                "no store in " << fx.data_dir());
  // What the daemon wrote was committed at unmount.
  fx.mount();
  CHECK_EQ(read_file(mnt + "/daemon-file"), "from the daemon");
  CHECK_EQ(fx.unmount(), 0);
}

TEST_CASE("startup: mount -t fuse.peerstorefs, as /etc/fstab does it") {
  MountFixture fx(MountOptions{.mount_now = false});
  if (!fx.require_real_mount()) return;
  if (geteuid() != 0) {
    if (getenv("CI")) FAIL("mount(8) needs root, and CI is set, so this is a failure");
    MESSAGE("SKIPPED: mount(8) needs root");
    return;
  }
  const std::string mnt = fx.mountpoint();
  DaemonReaper reaper{mnt, fx.new_log_path("fusermount-reaper")};
  // mount.fuse3 runs "peerstorefs SOURCE MNT -o OPTIONS" (without _netdev and nofail, which
  // mount(8) and systemd read) from mount's fixed PATH, where `meson install` puts it:
  // /usr/local/bin. There, for the test, a link to the binary under test, unless a peerstorefs
  // is installed; then the binary goes by mount.fuse3's other form, type "fuse" and source
  // "BINARY#SOURCE", which runs the same command.
  const std::string installed = "/usr/local/bin/peerstorefs";
  struct Link {
    std::string path;
    bool made = false;
    ~Link() {
      if (made) ::unlink(path.c_str());
    }
  } link{installed};
  std::string type = "fuse.peerstorefs", source = "peerstore";
  if (::symlink(fx.binary().c_str(), installed.c_str()) == 0) {
    link.made = true;
  } else {
    MESSAGE("a peerstorefs is installed in /usr/local/bin: mounting as type fuse, BINARY#SOURCE");
    type = "fuse";
    source = fx.binary() + "#peerstore";
  }
  std::string fstab = fx.base_dir() + "/fstab";
  write_file(fstab, source + " " + mnt + " " + type + " data=" + fx.data_dir() +
                        ",config=" + fx.config_dir() + ",_netdev,nofail,noexec 0 0\n");
  ChildProcess p({"mount", "--fstab", fstab, mnt},
                 SpawnOptions{.stderr_path = fx.new_log_path("mount")});
  auto status = p.wait_exit(20s);
  REQUIRE_MESSAGE(status.has_value(), "mount did not return in 20 s: " << p.describe());
  REQUIRE_MESSAGE(*status == 0, p.describe());
  CHECK(fuse_mounted_at(mnt));
  write_file(mnt + "/from-fstab", "mounted by mount(8)");
  CHECK_EQ(read_file(mnt + "/from-fstab"), "mounted by mount(8)");
  std::vector<pid_t> daemons = pids_with_argument(mnt);
  REQUIRE_EQ(run_fusermount({"-u"}, mnt, fx.new_log_path("fusermount")), 0);
  for (int i = 0; i < 300 && !daemons.empty() && process_alive(daemons[0]); ++i)
    std::this_thread::sleep_for(50ms);

  // The same directories through the command-line flags: the data is there.
  fx.mount();
  CHECK_EQ(read_file(mnt + "/from-fstab"), "mounted by mount(8)");
  CHECK_EQ(fx.unmount(), 0);
}

TEST_CASE("startup: under systemd (Type=notify) it says READY once the mount answers") {
  MountFixture fx(MountOptions{.mount_now = false});
  if (!fx.require_real_mount()) return;
  NotifySocket notify(fx.base_dir() + "/notify.sock");
  ChildProcess p(fx.command(fx.mountpoint(), fx.data_dir(), fx.config_dir()),
                 SpawnOptions{.stderr_path = fx.new_log_path("notify"), .env = {notify.env()}});
  std::string seen;
  REQUIRE_MESSAGE(notify.wait_for("READY=1", 15s, &seen), "no READY=1 in 15 s; got: " << seen);
  // Ready means ready: the mount answers at once.
  CHECK(fuse_mounted_at(fx.mountpoint()));
  write_file(fx.mountpoint() + "/ready", "yes");
  CHECK(seen.find("STATUS=mounted " + fx.mountpoint()) != std::string::npos);
  REQUIRE_EQ(run_fusermount({"-u"}, fx.mountpoint(), fx.new_log_path("fusermount")), 0);
  auto status = p.wait_exit(30s);
  CHECK(status == std::optional<int>(0));
}

}  // namespace peerstore::test
