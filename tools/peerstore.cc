// peerstore: works with a PeerStore network without a mount: `status` asks a running node (found
// through its data directory or given by address) for its ring and replication state; `invite`
// prints a token that admits another device; `conflicts` lists the conflict copies live sync
// made on this computer; `passwd` sets, changes or removes the passphrase of the user key;
// `backup`, `getfile`, `restore`, `ls`, `fsck` and `snapshots` work on the user's tree without a
// mount, through a node (src/host/client_commands.h). Wiring only: src/host does the work and
// formats it.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>

#include "host/client_commands.h"
#include "host/conflict_file.h"
#include "host/data_dir_layout.h"
#include "host/invitation.h"
#include "host/ring_space.h"
#include "host/status_client.h"
#include "host/status_report.h"
#include "host/user_key.h"
#include "host/user_message.h"
#include "keys/key_file.h"
#include "keys/passphrase.h"

using namespace peerstore;

namespace {

Result<int> status(const host::DataDirLayout& layout, const std::string& node, bool json,
                   bool ring) {
  PS_ASSIGN(auto s, host::ask_node_status(layout, node));
  // The ring's space asks every node: always for people, on request for scripts (which poll).
  std::optional<host::RingSpace> space;
  if (ring || !json) space = host::ask_ring_space(layout, s);
  // Conflicts and mass deletions are this computer's (its mount's logs), so only with the
  // local data directory.
  std::optional<host::LocalFacts> local;
  if (node.empty()) {
    local.emplace();
    PS_ASSIGN(auto list, host::read_conflicts(layout.conflicts()));
    local->conflicts = list.size();
    PS_ASSIGN(local->mass_deletions, read_brakes(layout.brakes()));
  }
  const host::LocalFacts* l = local ? &*local : nullptr;
  const host::RingSpace* r = space ? &*space : nullptr;
  if (json)
    std::printf("%s\n", host::status_json(s, l, r).c_str());
  else
    std::fputs(host::status_text(s, l, r).c_str(), stdout);
  return 0;
}

Result<int> conflicts(const host::DataDirLayout& layout) {
  PS_ASSIGN(auto list, host::read_conflicts(layout.conflicts()));
  if (list.empty()) {
    std::printf("no conflicts: live sync kept every change without a conflict copy\n");
    return 0;
  }
  for (auto& c : list) std::fputs(host::conflict_line(c).c_str(), stdout);
  std::printf("%zu conflict copies\n", list.size());
  return 0;
}

Result<int> invite(const host::DataDirLayout& layout, const std::string& address) {
  PS_ASSIGN(auto inv, host::make_invitation(layout, address));
  if (inv.local_only)
    std::fprintf(stderr,
                 "peerstore: note: %s is reachable from this computer only; for another "
                 "computer, give --address HOST:PORT of a member it can reach\n",
                 inv.address.c_str());
  std::printf("%s\n", inv.token.c_str());
  return 0;
}

Result<int> passwd(const host::DataDirLayout& layout, bool remove) {
  std::string path = layout.user_key();
  auto key = host::unlock_user_key(layout);
  if (!key) return key.error();
  if (remove) {
    if (!key->wrapped) {
      std::fprintf(stderr, "peerstore: %s has no passphrase; nothing to remove\n", path.c_str());
      return 0;
    }
    PS_TRY(replace_key_file(path, "user", key->seed, Secret()));
    std::fprintf(stderr, "peerstore: removed the passphrase of %s\n", path.c_str());
    return 0;
  }
  PS_ASSIGN(Secret fresh, new_passphrase_for_key(path));
  PS_TRY(replace_key_file(path, "user", key->seed, fresh));
  std::fprintf(stderr, "peerstore: %s is now protected by the new passphrase\n", path.c_str());
  return 0;
}

std::atomic<bool> g_stop{false};

// The first Ctrl-C asks the command to stop between entries (what is done is kept and uploaded);
// a second one ends the process at once.
void on_interrupt(int) {
  g_stop = true;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

host::CommandIo command_io() {
  host::CommandIo io;
  io.out = [](const std::string& s) { std::fputs(s.c_str(), stdout); };
  io.err = [](const std::string& s) { std::fputs(s.c_str(), stderr); };
  if (::isatty(STDERR_FILENO))
    io.progress = [](const std::string& s) {
      std::fprintf(stderr, "\r%s\033[K", s.c_str());
      std::fflush(stderr);
    };
  io.stop = &g_stop;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  return io;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"peerstore: work with a PeerStore network"};
  app.require_subcommand(1);
  std::string data, node, address, config;
  bool json = false, remove = false, ring = false;

  auto* st = app.add_subcommand("status", "Show a node's ring and replication state");
  st->add_option("--data", data,
                 "Data directory of a node running here (with --node: of a member of the same "
                 "network, for its network secret)");
  st->add_option("--node", node, "HOST:PORT of a node");
  st->add_flag("--json", json, "One line of JSON");
  st->add_flag("--ring", ring,
               "With --json: the whole ring's space too (every node is asked; the text always "
               "shows it)");

  auto* cf = app.add_subcommand(
      "conflicts",
      "List the conflict copies live sync made on this computer (two computers changed one "
      "file at once: one version keeps the name, the other is NAME.conflict-DEVICE-TIME)");
  cf->add_option("--data", data, "Data directory of the mount (default: the default data dir)");

  auto* inv = app.add_subcommand(
      "invite",
      "Print a one-line token that admits another device to this network: pass it to "
      "--join on the new device. Whoever holds the token is admitted; send it privately");
  inv->add_option("--data", data, "Data directory of a member (default: the default data dir)");
  inv->add_option("--address", address,
                  "HOST:PORT the new device joins through (default: the node running on --data)");

  auto* pw = app.add_subcommand(
      "passwd",
      "Set, change or remove the passphrase of your user key (PEERSTORE_PASSPHRASE and "
      "PEERSTORE_NEW_PASSPHRASE give them in scripts)");
  pw->add_option("--config", config, "Identity directory (default ~/.config/peerstore)");
  pw->add_flag("--remove", remove, "Store the key without a passphrase");
  std::string dir, path, dest;
  const char* via =
      "HOST:PORT of a member node to reach the ring through (default: the node "
      "running on --data)";
  const char* data_help =
      "Data directory of a node on this computer: its network secret, and "
      "DATA/client for this command's own store (default: the default data dir)";
  const char* config_help = "Identity directory (default ~/.config/peerstore)";
  auto client_opts = [&](CLI::App* c) {
    c->add_option("--data", data, data_help);
    c->add_option("--config", config, config_help);
    c->add_option("--node", node, via);
  };
  auto* bk = app.add_subcommand(
      "backup",
      "Store DIR in your tree under /backups/HOSTNAME/DIR, as it is now (incremental: unchanged "
      "files are not read again); every mount of yours shows it");
  bk->add_option("DIR", dir, "Directory to back up")->required();
  client_opts(bk);
  auto* gf = app.add_subcommand(
      "getfile",
      "Copy one file of your tree to DEST: PATH is the original absolute path of a "
      "backed-up file of this computer, or a path in the tree");
  gf->add_option("PATH", path, "The file")->required();
  gf->add_option("DEST", dest, "Where to write it (a directory: under its name)")->required();
  std::string version;
  const char* version_help =
      "A past version of the tree, as 'peerstore snapshots' lists it (its time, or the start "
      "of its hash)";
  gf->add_option("--version", version, version_help);
  client_opts(gf);
  auto* rs = app.add_subcommand(
      "restore",
      "Bring a directory of your tree back to DEST (new, or an empty directory), "
      "with modes, times, links and extended attributes");
  rs->add_option("PATH", path,
                 "The original absolute path of a backed-up directory, or a path "
                 "in the tree")
      ->required();
  rs->add_option("DEST", dest, "Where to restore it")->required();
  rs->add_option("--version", version, version_help);
  client_opts(rs);
  auto* ls = app.add_subcommand("ls", "List a directory of your tree (default /)");
  ls->add_option("PATH", path, "A path in the tree");
  client_opts(ls);
  auto* fk = app.add_subcommand(
      "fsck",
      "Read everything in your tree below PATH (default /), every byte and name, and list what "
      "does not read back (a block missing from this computer and the network, or damaged); "
      "exit status 1 if anything is damaged");
  fk->add_option("PATH", path, "A path in the tree");
  bool versions = false;
  fk->add_flag("--versions", versions,
               "Check every block of every past version that retention keeps, not only what is "
               "below PATH now");
  client_opts(fk);
  auto* sn = app.add_subcommand(
      "snapshots",
      "List the past versions of your tree that are kept (every change of the last hour, the "
      "last of each hour for two days, of each day for a month, and those pinned), newest "
      "first; or pin or unpin one");
  client_opts(sn);
  std::string pin_name, note;
  auto* pin = sn->add_subcommand(
      "pin",
      "Keep a version (default: the current one) until it is unpinned, as NAME: every "
      "mount of yours shows it as .snapshots/NAME");
  pin->add_option("NAME", pin_name, "The snapshot's name")->required();
  pin->add_option("--version", version, version_help);
  pin->add_option("--note", note, "Why it is pinned (shown by 'peerstore snapshots')");
  client_opts(pin);
  auto* unpin = sn->add_subcommand(
      "unpin", "Drop the pin NAME: retention alone decides from then on whether it is kept");
  unpin->add_option("NAME", pin_name, "The snapshot's name")->required();
  client_opts(unpin);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstore: %s; see 'peerstore --help'\n", e.what());
    return 2;
  }
  host::DataDirLayout layout(data, config);
  host::ClientOptions co{layout, node};
  Result<int> r = 0;
  if (*bk || *gf || *rs || *ls || *fk || *sn) {
    host::CommandIo io = command_io();
    r = *bk      ? host::run_backup(co, dir, io)
        : *gf    ? host::run_getfile(co, path, dest, version, io)
        : *rs    ? host::run_restore(co, path, dest, version, io)
        : *fk    ? host::run_fsck(co, path, versions, io)
        : *pin   ? host::run_pin(co, pin_name, version, note, io)
        : *unpin ? host::run_unpin(co, pin_name, io)
        : *sn    ? host::run_snapshots(co, io)
                 : host::run_ls(co, path, io);
  } else {
    r = *pw    ? passwd(layout, remove)
        : *inv ? invite(layout, address)
        : *cf  ? conflicts(layout)
               : status(layout, node, json, ring);
  }
  if (!r) {
    std::fprintf(stderr, "peerstore: %s\n", host::user_message(r.error()).c_str());
    return 1;
  }
  return *r;
}
