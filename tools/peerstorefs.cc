// peerstorefs: mounts the user's PeerStore volume and runs this computer's DHT node. Wiring
// only: parse, check, load the identity (a passphrase is asked here), fork, then
// host::MountedNode starts the node, mounts and serves; on unmount or a signal it commits,
// uploads what is pending and leaves the ring. The parent of a daemonized mount exits only once
// the child reports through a pipe that the mount is up (or why it is not).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <tuple>

#include "common/log.h"
#include "fs/mount_options.h"
#include "fs/mount_point.h"
#include "host/mounted_node.h"
#include "host/service_notify.h"
#include "host/user_message.h"
#include "keys/identity.h"
#include "keys/passphrase.h"

using namespace peerstore;

namespace {

using host::user_message;

// Everything after the fork: starts and serves the mount; once it is up, reports "OK" to the
// parent through `report_fd` (if any) and detaches from the terminal. An error is for the parent.
Result<int> serve(host::MountConfig config, Identity identity, int report_fd) {
  std::string mountpoint = config.mountpoint;
  PS_ASSIGN(auto mounted, host::MountedNode::start(std::move(config), std::move(identity)));
  host::notify_ready("mounted " + mountpoint);
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
  if (Status st = mounted->serve(); !st) {
    // Detached, nobody reads the pipe any more: the system log is where it is said.
    if (report_fd >= 0) log::error(user_message(st.error()));
    return st.error();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positionals;
  std::string data, config, listen, join, http;
  bool foreground = false, debug = false;
  std::vector<std::string> options;
  CLI::App app{"peerstorefs: mount your PeerStore encrypted file system"};
  app.add_option("mountpoint", positionals,
                 "Directory to mount on (mount(8) gives a source first, which is ignored)")
      ->required()
      ->expected(1, 2);
  app.add_option("--data", data,
                 "Data directory (default $XDG_DATA_HOME/peerstore or ~/.local/share/peerstore)");
  app.add_option("--config", config,
                 "Identity directory (default $XDG_CONFIG_HOME/peerstore or ~/.config/peerstore)");
  app.add_option("--listen", listen,
                 "ADDR:PORT this computer's node listens on (default 127.0.0.1 and any free port)");
  app.add_option("--join", join,
                 "An invite token from 'peerstore invite', or HOST:PORT of a member once the data "
                 "directory holds the network secret (default: start a new ring)");
  app.add_option("--http", http,
                 "ADDR:PORT to serve the dashboard, /api/status and /metrics on (default: none)");
  app.add_flag("-f,--foreground", foreground, "Stay in the foreground and log to stderr");
  app.add_flag("-d,--debug", debug, "Log every FUSE request (implies -f)");
  app.add_option("-o", options,
                 "Mount options: allow_other, ro, fsname=..., durability=local|replicated, "
                 "cache_size=SIZE, data=DIR, config=DIR, listen=ADDR:PORT, join=TOKEN, "
                 "http=ADDR:PORT, fuse_spin=MICROSECONDS (how long the reader stays awake after "
                 "each of a run of small reads, default 100; 0: never), ...")
      ->allow_extra_args(false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstorefs: %s; see 'peerstorefs --help'\n", e.what());
    return 2;
  }
  if (debug) foreground = true;
  auto opts = MountOptions::parse(options);
  if (!opts) {
    std::fprintf(stderr, "peerstorefs: %s\n", opts.error().context.c_str());
    return 2;
  }
  // Each flag may come as -o NAME=VALUE too (mount(8), /etc/fstab); given both ways, they agree.
  for (auto [name, flag, option] :
       {std::tuple{"data", &data, &opts->data}, std::tuple{"config", &config, &opts->config},
        std::tuple{"listen", &listen, &opts->listen}, std::tuple{"join", &join, &opts->join},
        std::tuple{"http", &http, &opts->http}}) {
    if (!*option) continue;
    if (!flag->empty() && *flag != **option) {
      std::fprintf(stderr, "peerstorefs: --%s and -o %s= differ; give one of them\n", name, name);
      return 2;
    }
    *flag = **option;
  }
  if (listen.empty()) listen = "127.0.0.1:0";
  std::string mountpoint = positionals.back();
  host::MountConfig c{
      .node = {.layout = host::DataDirLayout(data, config), .listen = listen, .join = join},
      .debug = debug,
      .http = http};
  c.options = std::move(*opts);
  auto mp = check_mount_point(mountpoint);
  if (!mp) {
    std::fprintf(stderr, "peerstorefs: %s\n", mp.error().context.c_str());
    return 1;
  }
  c.mountpoint = *mp;
  if (debug) log::set_level(log::Level::debug);
  // Before the fork: a passphrase is asked on the terminal, which the daemon no longer has.
  const host::DataDirLayout& layout = c.node.layout;
  auto identity = Identity::load_or_create(layout.config(), layout.data(),
                                           passphrase_for_key("user", layout.user_key()));
  if (!identity) {
    std::fprintf(stderr, "peerstorefs: %s\n", user_message(identity.error()).c_str());
    return 1;
  }

  if (foreground) {
    auto r = serve(std::move(c), std::move(*identity), -1);
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
  auto r = serve(std::move(c), std::move(*identity), fds[1]);
  if (!r) {
    std::string msg = user_message(r.error());
    (void)!::write(fds[1], msg.data(), msg.size());
    return 1;
  }
  return 0;
}
