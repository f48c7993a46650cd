#include "transport_peer.h"

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "dht/host_port.h"
#include "test_credentials.h"

namespace peerstore::test {

bool eventually(const std::function<bool()>& pred, int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::unique_ptr<TransportPeer> TransportPeer::start(TcpTransportOptions options,
                                                    OnReceive on_receive) {
  std::unique_ptr<TransportPeer> p(new TransportPeer);
  auto loop = LoopThread::start("test-peer");
  REQUIRE(loop.ok());
  p->loop_ = std::move(*loop);
  p->on_receive_ = std::move(on_receive);
  if (!options.credentials) options.credentials = test_credentials();
  auto started = p->loop_->call([&]() -> Status {
    PS_ASSIGN(p->transport_, TcpTransport::start(p->loop_->loop(), options));
    p->transport_->set_receiver([raw = p.get()](const std::string& from,
                                                const std::optional<Id256>& proven_id, ByteView m) {
      {
        std::lock_guard lock(raw->mu_);
        raw->inbox_.push_back({from, proven_id, Bytes(m.begin(), m.end())});
      }
      if (raw->on_receive_) raw->on_receive_(*raw->transport_, from, m);
    });
    p->address_ = p->transport_->address();
    return {};
  });
  INFO((started.ok() ? "" : started.error().message()));
  REQUIRE(started.ok());
  return p;
}

TransportPeer::~TransportPeer() {
  if (loop_) loop_->stop([this] { transport_.reset(); });
}

uint16_t TransportPeer::port() const {
  auto hp = HostPort::parse(address_);
  REQUIRE(hp.ok());
  return hp->port;
}

void TransportPeer::send(const std::string& to, Bytes message) {
  loop_->post([this, to, m = std::move(message)]() mutable { transport_->send(to, std::move(m)); });
}

TcpTransport::Stats TransportPeer::stats() {
  return loop_->call([this] { return transport_->stats(); });
}

size_t TransportPeer::connections() {
  return loop_->call([this] { return transport_->connection_count(); });
}

std::vector<Received> TransportPeer::inbox() {
  std::lock_guard lock(mu_);
  return inbox_;
}

size_t TransportPeer::inbox_size() {
  std::lock_guard lock(mu_);
  return inbox_.size();
}

}  // namespace peerstore::test
