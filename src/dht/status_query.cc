#include "dht/status_query.h"

#include <future>

#include "dht/loop_thread.h"
#include "dht/node_ref.h"
#include "dht/rpc.h"
#include "dht/tcp_transport.h"
#include "dht/uv_clock.h"

namespace peerstore {

Result<msg::NodeStatus> query_status(const std::string& address, PeerCredentialsPtr credentials,
                                     std::chrono::milliseconds timeout) {
  PS_ASSIGN(auto loop, LoopThread::start("status"));
  std::unique_ptr<UvClock> clock;
  std::unique_ptr<TcpTransport> transport;
  std::unique_ptr<Rpc> rpc;
  auto answer = std::make_shared<std::promise<Result<msg::NodeStatus>>>();
  auto answered = answer->get_future();
  Status setup = loop->call([&]() -> Status {
    clock = std::make_unique<UvClock>(loop->loop());
    TcpTransportOptions topt;
    topt.credentials = credentials;
    PS_ASSIGN(transport, TcpTransport::start(loop->loop(), std::move(topt)));
    // A client speaks for the id its handshake proves; with no listen address it never enters
    // anyone's routing state.
    NodeRef self;
    self.id = node_id_for(credentials->device.public_key());
    self.addr = "client";
    rpc = std::make_unique<Rpc>(*transport, *clock, self);
    rpc->call(address, msg::GetStatus{}, timeout.count(), [answer](Result<Message> r) {
      if (!r) return answer->set_value(r.error());
      if (auto* s = std::get_if<msg::NodeStatus>(&r->body)) return answer->set_value(*s);
      answer->set_value(fail(Errc::corrupt, std::string("unexpected answer: ") + r->type_name()));
    });
    return {};
  });
  Result<msg::NodeStatus> out =
      setup.ok() ? answered.get() : Result<msg::NodeStatus>(setup.error());
  loop->stop([&] {
    rpc.reset();
    if (transport) transport->close([] {});
    clock.reset();
  });
  if (!out && out.code() == Errc::timeout)
    return fail(Errc::unavailable, "no PeerStore node answered at " + address +
                                       "; is it running, and is the address right?");
  return out;
}

}  // namespace peerstore
