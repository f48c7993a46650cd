// peerstore-node: a storage-only PeerStore node (no mount). Wiring only: parse, lock the data
// directory, open the store, start the DHT node, wait for SIGINT/SIGTERM, leave the ring
// gracefully. Runs in the foreground; logs to stderr.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "common/dirs.h"
#include "common/log.h"
#include "dht/dht_client.h"
#include "keys/identity.h"
#include "store/data_dir_lock.h"
#include "store/lmdb_store.h"
#include "tool_support.h"

using namespace peerstore;

namespace {

struct Args {
  std::string listen, join, data;
};

Result<int> run(const Args& a) {
  PS_TRY(make_dirs(a.data));
  PS_ASSIGN(auto lock, DataDirLock::acquire(a.data));
  PS_ASSIGN(auto admission, tool::admit(a.data, a.join));
  PS_ASSIGN(auto device, Identity::load_or_create_device(a.data));
  PS_ASSIGN(auto store, LmdbStore::open(a.data + "/store"));
  PS_ASSIGN(auto ring, store->with_heads_db("ring_heads"));
  DhtClientOptions o;
  o.listen = a.listen;
  o.join = admission.join;
  o.credentials = tool::make_credentials(std::move(device), std::move(admission.network_secret));
  PS_ASSIGN(auto dht, DhtClient::start(*ring, o));
  PS_TRY(tool::write_node_address(a.data, dht->address()));
  log::info("peerstore-node: serving " + a.data + " on " + dht->address());

  int sig = tool::wait_for_stop_signal();
  log::info(std::string("peerstore-node: ") + strsignal(sig) + ", leaving the ring");
  if (Status st = dht->leave(std::chrono::seconds(60)); !st)
    log::warn("peerstore-node: leaving the ring: " + st.error().message() +
              "; the other nodes will repair");
  tool::remove_node_address(a.data);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tool::SignalBlock block_stop_signals;  // before any thread: they all inherit the mask
  Args a;
  CLI::App app{"peerstore-node: a storage-only PeerStore node"};
  app.add_option("--listen", a.listen, "ADDR:PORT to listen on, reachable by the other nodes")
      ->required();
  app.add_option("--join", a.join,
                 "An invite token from 'peerstore invite', or HOST:PORT of a member once this "
                 "data directory holds the network secret (default: start a new ring)");
  app.add_option("--data", a.data,
                 "Data directory (default $XDG_DATA_HOME/peerstore or ~/.local/share/peerstore)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstore-node: %s; see 'peerstore-node --help'\n", e.what());
    return 2;
  }
  if (a.data.empty()) a.data = tool::default_data_dir();
  auto r = run(a);
  if (!r) {
    std::fprintf(stderr, "peerstore-node: %s\n", tool::user_message(r.error()).c_str());
    return 1;
  }
  return *r;
}
