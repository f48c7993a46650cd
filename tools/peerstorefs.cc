// peerstorefs: mounts the user's PeerStore volume and runs this computer's DHT node. Wiring
// only: parse, check, fork, open the store, start or join the ring, mount, serve; on unmount or
// a signal: commit, upload what is pending, leave the ring. The parent of a daemonized mount
// exits only once the child reports that the mount is up (or why it is not).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <set>

#include "common/dirs.h"
#include "common/log.h"
#include "dht/dht_client.h"
#include "fs/file_system.h"
#include "fs/mount_point.h"
#include "fs/mount_session.h"
#include "keys/identity.h"
#include "keys/passphrase.h"
#include "store/data_dir_lock.h"
#include "store/lmdb_store.h"
#include "store/tiered_store.h"
#include "tool_support.h"

using namespace peerstore;

namespace {

using tool::user_message;

struct Args {
  std::string mountpoint, data, config, listen = "127.0.0.1:0", join;
  bool foreground = false, debug = false, replicated = false;
  uint64_t cache_bytes = uint64_t(4) << 30;
  std::vector<std::string> options;
};

// "512M", "8G", "1048576": bytes, with an optional K, M, G or T (powers of 1024).
std::optional<uint64_t> parse_size(const std::string& s) {
  size_t used = 0;
  uint64_t n = 0;
  try {
    n = std::stoull(s, &used);
  } catch (...) {
    return std::nullopt;
  }
  std::string unit = s.substr(used);
  static const std::string kUnits = "KMGT";
  if (unit.empty()) return n;
  size_t shift = kUnits.find(char(std::toupper(unit[0])));
  if (unit.size() > 1 || shift == std::string::npos) return std::nullopt;
  return n << (10 * (shift + 1));
}

// Splits and checks -o options: PeerStore's own (durability=) are taken out, and only what
// libfuse's mount understands goes through.
Result<std::vector<std::string>> parse_mount_options(const std::vector<std::string>& raw, Args& a) {
  static const std::set<std::string> kFlags = {"allow_other", "allow_root", "default_permissions",
                                               "ro",          "rw",         "auto_unmount",
                                               "nosuid",      "suid",       "nodev",
                                               "dev",         "noexec",     "exec",
                                               "async",       "sync",       "atime",
                                               "noatime",     "relatime",   "dirsync",
                                               "blkdev",      "nodiratime"};
  static const std::set<std::string> kValued = {"fsname", "subtype", "max_read", "blksize"};
  std::vector<std::string> out;
  for (auto& group : raw) {
    size_t start = 0;
    while (start <= group.size()) {
      size_t comma = group.find(',', start);
      std::string opt =
          group.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? group.size() + 1 : comma + 1;
      if (opt.empty()) continue;
      std::string key = opt.substr(0, opt.find('='));
      if (key == "durability") {
        std::string v = opt.substr(opt.find('=') + 1);
        if (opt.find('=') == std::string::npos || (v != "local" && v != "replicated"))
          return fail(Errc::invalid,
                      "-o durability takes 'local' (fsync waits for this disk) or "
                      "'replicated' (fsync waits for the network's copies)");
        a.replicated = v == "replicated";
        continue;
      }
      if (key == "cache_size") {
        auto size = parse_size(opt.substr(opt.find('=') + 1));
        if (opt.find('=') == std::string::npos || !size)
          return fail(Errc::invalid, "-o cache_size takes a size such as 512M or 8G");
        a.cache_bytes = *size;
        continue;
      }
      bool ok = opt.find('=') == std::string::npos ? kFlags.count(key) > 0 : kValued.count(key) > 0;
      if (!ok)
        return fail(Errc::invalid,
                    "unknown mount option '-o " + opt + "'; see 'peerstorefs --help'");
      if (key != "default_permissions") out.push_back(opt);  // always on
    }
  }
  return out;
}

// Everything after the fork: returns a message for the parent on failure.
Result<int> serve(const Args& a, Identity identity, int report_fd) {
  PS_TRY(make_dirs(a.data));
  PS_ASSIGN(auto lock, DataDirLock::acquire(a.data));
  PS_ASSIGN(auto admission, tool::admit(a.data, a.join));
  PS_ASSIGN(auto store, LmdbStore::open(a.data + "/store"));
  // The node's head sets for the ring are records of their own; blocks are shared.
  PS_ASSIGN(auto ring_store, store->with_heads_db("ring_heads"));

  // Threads started from here on (DHT loop, disk queue, uploads, sealers, committer) block the
  // stop signals, so libfuse's handlers, which the main thread's loop waits on, get them.
  std::optional<tool::SignalBlock> quiet_helpers(std::in_place);
  DhtClientOptions dopt;
  dopt.listen = a.listen;
  dopt.join = admission.join;
  dopt.join_timeout_ms = 8000;  // the whole start-up answers within 10 s
  dopt.credentials = tool::make_credentials(SigningKey::from_seed(identity.device.seed()),
                                            std::move(admission.network_secret));
  PS_ASSIGN(auto dht, DhtClient::start(*ring_store, dopt));
  TieredStoreOptions topt;
  topt.replicated = a.replicated;
  topt.cache_bytes = a.cache_bytes;
  auto tiered = std::make_shared<TieredStore>(*store, *dht, topt);
  dht->set_pending_uploads_source([w = std::weak_ptr<TieredStore>(tiered)]() -> uint64_t {
    auto t = w.lock();
    return t ? t->tier_stats().upload.pending : 0;
  });
  PS_TRY(tool::write_node_address(a.data, dht->address()));

  auto damaged = [&](const Error& e) {
    return fail(e.code, "cannot open the file system in " + a.data + ": " + e.message() +
                            "; the data directory is damaged or belongs to another identity");
  };
  auto volume =
      Volume::open(*tiered, VolumeKeys::derive_home(identity.user), identity.device.public_key());
  if (!volume && volume.code() == Errc::unavailable) return volume.error();
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
  log::info("mounted " + a.mountpoint + "; node " + dht->address());
  (*fs)->start_committer();
  quiet_helpers.reset();
  Status ran = session->run();
  session.reset();
  fs->reset();  // the final commit

  // Everything committed goes to the network before this node leaves it.
  if (Status st = tiered->flush(std::chrono::seconds(60)); !st)
    log::warn("not everything reached the network: " + st.error().message() + "; it stays in " +
              a.data + " and goes up at the next start");
  dht->set_pending_uploads_source(nullptr);
  if (Status st = dht->leave(std::chrono::seconds(60)); !st)
    log::warn("leaving the ring: " + st.error().message() + "; the other nodes will repair");
  tool::remove_node_address(a.data);
  tiered.reset();
  dht.reset();
  PS_TRY(ran);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  CLI::App app{"peerstorefs: mount your PeerStore encrypted file system"};
  app.add_option("mountpoint", a.mountpoint, "Directory to mount on")->required();
  app.add_option("--data", a.data,
                 "Data directory (default $XDG_DATA_HOME/peerstore or ~/.local/share/peerstore)");
  app.add_option("--config", a.config,
                 "Identity directory (default $XDG_CONFIG_HOME/peerstore or ~/.config/peerstore)");
  app.add_option("--listen", a.listen,
                 "ADDR:PORT this computer's node listens on (default 127.0.0.1 and any free port)");
  app.add_option("--join", a.join,
                 "An invite token from 'peerstore invite', or HOST:PORT of a member once the data "
                 "directory holds the network secret (default: start a new ring)");
  app.add_flag("-f,--foreground", a.foreground, "Stay in the foreground and log to stderr");
  app.add_flag("-d,--debug", a.debug, "Log every FUSE request (implies -f)");
  app.add_option("-o", a.options,
                 "Mount options: allow_other, ro, fsname=..., durability=local|replicated, "
                 "cache_size=SIZE, ...")
      ->allow_extra_args(false);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstorefs: %s; see 'peerstorefs --help'\n", e.what());
    return 2;
  }
  if (a.debug) a.foreground = true;
  if (a.data.empty()) a.data = tool::default_data_dir();
  if (a.config.empty()) a.config = tool::default_config_dir();
  auto opts = parse_mount_options(a.options, a);
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
  // Before the fork: a passphrase is asked on the terminal, which the daemon no longer has.
  auto identity = Identity::load_or_create(
      a.config, a.data, passphrase_for_key("user", Identity::user_key_path(a.config)));
  if (!identity) {
    std::fprintf(stderr, "peerstorefs: %s\n", user_message(identity.error()).c_str());
    return 1;
  }

  if (a.foreground) {
    auto r = serve(a, std::move(*identity), -1);
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
  auto r = serve(a, std::move(*identity), fds[1]);
  if (!r) {
    std::string msg = user_message(r.error());
    (void)!::write(fds[1], msg.data(), msg.size());
    return 1;
  }
  return 0;
}
