// peerstore-malicious-node: tests only, never installed. A storage node started like
// peerstore-node (host::Node; --listen, --join, --data) whose messages go through a
// TamperingTransport, so it serves altered blocks, forged or rolled-back heads, lies about the
// ring, or stops answering (--mode). The e2e tests start one in a ring of honest nodes and check
// that nothing it does corrupts or loses data. Runs in the foreground; logs to stderr.
#include <sodium.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "common/bytes.h"
#include "common/log.h"
#include "dht/node_ref.h"
#include "host/node.h"
#include "host/stop_signals.h"
#include "host/user_message.h"
#include "support/tampering_transport.h"

using namespace peerstore;

namespace {

struct Args {
  std::string listen, join, data, mode;
};

Result<int> run(const Args& a, test::Misbehaviour mode) {
  if (sodium_init() < 0) return fail(Errc::io, "libsodium does not initialize");
  // --join HOST:PORT with the network secret the tests copied into DATA, as for any node.
  host::NodeOptions o{.layout = host::DataDirLayout(a.data), .listen = a.listen, .join = a.join};
  PS_ASSIGN(auto node, host::Node::open(std::move(o)));
  Id256 id = node_id_for(node->credentials().device.public_key());
  test::TamperingTransport* tamper = nullptr;  // owned by the DhtClient, lives on its loop
  PS_TRY(node->start([&](Transport& inner) -> std::unique_ptr<Transport> {
    auto t = std::make_unique<test::TamperingTransport>(inner, mode, get_u64be(id.b.data()));
    tamper = t.get();
    return t;
  }));
  if (tamper) tamper->arm();  // joined: from now on drop-all answers nothing
  log::info("peerstore-malicious-node: " + a.mode + " on " + node->address());
  host::wait_for_stop_signal();
  // No graceful leave: a malicious node just disappears (the node removes DATA/node.addr).
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  host::SignalBlock block_stop_signals;  // before any thread: they all inherit the mask
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
    std::fprintf(stderr, "peerstore-malicious-node: %s\n", host::user_message(r.error()).c_str());
    return 1;
  }
  return *r;
}
