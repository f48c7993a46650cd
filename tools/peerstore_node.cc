// peerstore-node: a storage-only PeerStore node (no mount). Wiring only: parse, start the node
// on its data directory (host::Node), wait for SIGINT/SIGTERM, leave the ring gracefully.
// Runs in the foreground; logs to stderr.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstring>

#include "common/log.h"
#include "fs/mount_options.h"
#include "host/dashboard.h"
#include "host/node.h"
#include "host/service_notify.h"
#include "host/stop_signals.h"
#include "host/user_message.h"

using namespace peerstore;

namespace {

Result<int> run(host::NodeOptions options, const std::string& http) {
  PS_ASSIGN(auto node, host::Node::start(std::move(options)));
  std::unique_ptr<host::Dashboard> dashboard;  // destroyed first: it reads the node
  if (!http.empty()) {
    PS_ASSIGN(dashboard, host::Dashboard::start(http, [n = node.get()] {
                return host::DashboardView{"peerstore-node", n->dht().observe(), std::nullopt};
              }));
  }
  log::info("peerstore-node: serving " + node->layout().data() + " on " + node->address());
  host::notify_ready("serving on " + node->address());
  int sig = host::wait_for_stop_signal();
  log::info(std::string("peerstore-node: ") + strsignal(sig) + ", leaving the ring");
  host::notify_stopping("handing keys over and leaving the ring");
  PS_TRY(node->leave());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  host::SignalBlock block_stop_signals;  // before any thread: they all inherit the mask
  std::string listen, join, data, capacity, http, replica_ack = "synced";
  CLI::App app{"peerstore-node: a storage-only PeerStore node"};
  app.add_option("--listen", listen, "ADDR:PORT to listen on, reachable by the other nodes")
      ->required();
  app.add_option("--join", join,
                 "An invite token from 'peerstore invite', or HOST:PORT of a member once this "
                 "data directory holds the network secret (default: start a new ring)");
  app.add_option("--data", data,
                 "Data directory (default $XDG_DATA_HOME/peerstore or ~/.local/share/peerstore)");
  app.add_option("--capacity", capacity,
                 "The most this node stores, e.g. 500G (default: as much as the disk holds)");
  app.add_option("--replica-ack", replica_ack,
                 "When this node acknowledges a copy it stores: 'synced' once its disk has it "
                 "(default), or 'written' once the OS has it, synced every 200 ms: puts wait "
                 "for no disk sync and survive a crash of this process, but a power cut may "
                 "lose the last 200 ms, and the node then starts empty and is refilled by the "
                 "ring (docs/dht.md)")
      ->check(CLI::IsMember({"synced", "written"}));
  app.add_option("--http", http,
                 "ADDR:PORT to serve the dashboard, /api/status and /metrics on (default: none)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstore-node: %s; see 'peerstore-node --help'\n", e.what());
    return 2;
  }
  host::NodeOptions o{.layout = host::DataDirLayout(data), .listen = listen, .join = join};
  if (replica_ack == "written") o.background_sync_ms = host::kBackgroundSyncMs;
  if (!capacity.empty()) {
    auto bytes = parse_size(capacity);
    if (!bytes || *bytes == 0) {
      std::fprintf(stderr,
                   "peerstore-node: --capacity takes a size such as 500G or 2T; see "
                   "'peerstore-node --help'\n");
      return 2;
    }
    o.capacity = *bytes;
  }
  auto r = run(std::move(o), http);
  if (!r) {
    std::fprintf(stderr, "peerstore-node: %s\n", host::user_message(r.error()).c_str());
    return 1;
  }
  return *r;
}
