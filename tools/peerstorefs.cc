// peerstorefs: mounts the user's PeerStore volume. Wiring only: parse, check, fork, open the
// store, mount, serve. The parent of a daemonized mount exits only once the child reports that
// the mount is up (or why it is not).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "common/dirs.h"
#include "common/log.h"
#include "fs/file_system.h"
#include "fs/mount_point.h"
#include "fs/mount_session.h"
#include "keys/identity.h"
#include "store/data_dir_lock.h"
#include "store/lmdb_store.h"

using namespace peerstore;

namespace {

// Contexts of start-up errors are written as sentences for people.
std::string user_message(const Error& e) { return e.context.empty() ? e.message() : e.context; }

std::string default_dir(const char* xdg_var, const char* home_suffix) {
  if (const char* x = std::getenv(xdg_var); x && *x) return std::string(x) + "/peerstore";
  const char* home = std::getenv("HOME");
  return std::string(home && *home ? home : "/root") + home_suffix;
}

// Splits and checks -o options: only what libfuse's mount understands goes through.
Result<std::vector<std::string>> parse_mount_options(const std::vector<std::string>& raw) {
  static const std::set<std::string> kFlags = {
      "allow_other", "allow_root", "default_permissions", "ro", "rw", "auto_unmount", "nosuid",
      "suid", "nodev", "dev", "noexec", "exec", "async", "sync", "atime", "noatime",
      "relatime", "dirsync", "blkdev", "nodiratime"};
  static const std::set<std::string> kValued = {"fsname", "subtype", "max_read", "blksize"};
  std::vector<std::string> out;
  for (auto& group : raw) {
    size_t start = 0;
    while (start <= group.size()) {
      size_t comma = group.find(',', start);
      std::string opt = group.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? group.size() + 1 : comma + 1;
      if (opt.empty()) continue;
      std::string key = opt.substr(0, opt.find('='));
      bool ok = opt.find('=') == std::string::npos ? kFlags.count(key) > 0 : kValued.count(key) > 0;
      if (!ok) return fail(Errc::invalid, "unknown mount option '-o " + opt + "'; see 'peerstorefs --help'");
      if (key != "default_permissions") out.push_back(opt);  // always on
    }
  }
  return out;
}

struct Args {
  std::string mountpoint, data, config;
  bool foreground = false, debug = false;
  std::vector<std::string> options;
};

// Everything after the fork: returns a message for the parent on failure.
Result<int> serve(const Args& a, int report_fd) {
  PS_TRY(make_dirs(a.data));
  PS_ASSIGN(auto lock, DataDirLock::acquire(a.data));
  PS_ASSIGN(auto identity, Identity::load_or_create(a.config));
  PS_ASSIGN(auto store, LmdbStore::open(a.data + "/store"));
  auto damaged = [&](const Error& e) {
    return fail(e.code, "cannot open the file system in " + a.data + ": " + e.message() +
                            "; the data directory is damaged or belongs to another identity");
  };
  auto volume = Volume::open(*store, VolumeKeys::derive_home(identity.user),
                             identity.device.public_key());
  if (!volume) return damaged(volume.error());
  FileSystem::Options fo;
  fo.statfs_path = a.data;
  auto fs = FileSystem::open(std::move(*volume), fo, Caller{getuid(), getgid()});
  if (!fs) return damaged(fs.error());
  PS_ASSIGN(auto session, MountSession::mount(**fs, a.mountpoint, a.options, a.debug));
  if (report_fd >= 0) {
    (void)!::write(report_fd, "OK", 2);
    ::close(report_fd);
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0), ::dup2(null, 1), ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
    log::use_syslog("peerstorefs");
  }
  log::info("mounted " + a.mountpoint);
  (*fs)->start_committer();
  PS_TRY(session->run());
  session.reset();
  fs->reset();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  CLI::App app{"peerstorefs: mount your PeerStore encrypted file system"};
  app.add_option("mountpoint", a.mountpoint, "Directory to mount on")->required();
  app.add_option("--data", a.data, "Data directory (default $XDG_DATA_HOME/peerstore or ~/.local/share/peerstore)");
  app.add_option("--config", a.config, "Identity directory (default $XDG_CONFIG_HOME/peerstore or ~/.config/peerstore)");
  app.add_flag("-f,--foreground", a.foreground, "Stay in the foreground and log to stderr");
  app.add_flag("-d,--debug", a.debug, "Log every FUSE request (implies -f)");
  app.add_option("-o", a.options, "Mount options: allow_other, ro, fsname=..., ...")->allow_extra_args(false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstorefs: %s; see 'peerstorefs --help'\n", e.what());
    return 2;
  }
  if (a.debug) a.foreground = true;
  if (a.data.empty()) a.data = default_dir("XDG_DATA_HOME", "/.local/share/peerstore");
  if (a.config.empty()) a.config = default_dir("XDG_CONFIG_HOME", "/.config/peerstore");
  auto opts = parse_mount_options(a.options);
  if (!opts) {
    std::fprintf(stderr, "peerstorefs: %s\n", opts.error().context.c_str());
    return 2;
  }
  a.options = *opts;
  auto mp = check_mount_point(a.mountpoint);
  if (!mp) {
    std::fprintf(stderr, "peerstorefs: %s\n", mp.error().context.c_str());
    return 1;
  }
  a.mountpoint = *mp;
  if (a.debug) log::set_level(log::Level::debug);

  if (a.foreground) {
    auto r = serve(a, -1);
    if (!r) {
      std::fprintf(stderr, "peerstorefs: %s\n", user_message(r.error()).c_str());
      return 1;
    }
    return 0;
  }
  // Fork before any thread exists; the parent waits for the child's verdict.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    std::perror("peerstorefs: pipe");
    return 1;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("peerstorefs: fork");
    return 1;
  }
  if (pid > 0) {
    ::close(fds[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) msg.append(buf, size_t(n));
    if (msg == "OK") return 0;
    if (msg.empty()) msg = "the file system process died during start-up";
    std::fprintf(stderr, "peerstorefs: %s\n", msg.c_str());
    return 1;
  }
  ::close(fds[0]);
  ::setsid();
  if (::chdir("/") != 0) {
  }
  auto r = serve(a, fds[1]);
  if (!r) {
    std::string msg = user_message(r.error());
    (void)!::write(fds[1], msg.data(), msg.size());
    return 1;
  }
  return 0;
}
