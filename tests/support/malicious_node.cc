// peerstore-malicious-node: tests only, never installed. A storage node wired like
// peerstore-node (--listen, --join, --data) whose messages go through a TamperingTransport, so
// it serves altered blocks, forged or rolled-back heads, lies about the ring, or stops answering
// (--mode). The e2e tests start one in a ring of honest nodes and check that nothing it does
// corrupts or loses data. Runs in the foreground; logs to stderr.
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "common/dirs.h"
#include "common/log.h"
#include "dht/dht_client.h"
#include "dht/node_ref.h"
#include "keys/identity.h"
#include "store/data_dir_lock.h"
#include "store/lmdb_store.h"
#include "support/tampering_transport.h"
#include "tool_support.h"

using namespace peerstore;

namespace {

struct Args {
  std::string listen, join, data, mode;
};

Result<int> run(const Args& a, test::Misbehaviour mode) {
  if (sodium_init() < 0) return fail(Errc::io, "libsodium does not initialize");
  PS_TRY(make_dirs(a.data));
  PS_ASSIGN(auto lock, DataDirLock::acquire(a.data));
  PS_ASSIGN(auto device, Identity::load_or_create_device(a.data));
  // --join HOST:PORT with the network secret the tests copied into DATA, as for any node.
  PS_ASSIGN(auto admission, tool::admit(a.data, a.join));
  PS_ASSIGN(auto store, LmdbStore::open(a.data + "/store"));
  PS_ASSIGN(auto ring, store->with_heads_db("ring_heads"));
  Id256 id = node_id_for(device.public_key());
  test::TamperingTransport* tamper = nullptr;  // owned by the DhtClient, lives on its loop
  DhtClientOptions o;
  o.listen = a.listen;
  o.join = admission.join;
  o.credentials = tool::make_credentials(std::move(device), std::move(admission.network_secret));
  o.wrap_transport = [&](Transport& inner) -> std::unique_ptr<Transport> {
    auto t = std::make_unique<test::TamperingTransport>(inner, mode, get_u64be(id.b.data()));
    tamper = t.get();
    return t;
  };
  PS_ASSIGN(auto dht, DhtClient::start(*ring, std::move(o)));
  if (tamper) tamper->arm();  // joined: from now on drop-all answers nothing
  PS_TRY(tool::write_node_address(a.data, dht->address()));
  log::info("peerstore-malicious-node: " + a.mode + " on " + dht->address());
  tool::wait_for_stop_signal();
  // No graceful leave: a malicious node just disappears.
  tool::remove_node_address(a.data);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tool::SignalBlock block_stop_signals;  // before any thread: they all inherit the mask
  Args a;
  CLI::App app{"peerstore-malicious-node: a lying PeerStore node, for tests"};
  app.add_option("--listen", a.listen, "ADDR:PORT to listen on")->required();
  app.add_option("--join", a.join, "HOST:PORT of a node of the ring to join")->required();
  app.add_option("--data", a.data, "Data directory")->required();
  app.add_option("--mode", a.mode,
                 "alter-blocks, forge-heads, rollback-heads, wrong-successors or drop-all")
      ->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "peerstore-malicious-node: %s\n", e.what());
    return 2;
  }
  auto mode = test::parse_misbehaviour(a.mode);
  auto r = mode ? run(a, *mode) : Result<int>(mode.error());
  if (!r) {
    std::fprintf(stderr, "peerstore-malicious-node: %s\n", tool::user_message(r.error()).c_str());
    return 1;
  }
  return *r;
}
