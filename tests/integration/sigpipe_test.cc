// No peer and no pipe can kill a process with SIGPIPE (issue: a node died with exit status 141
// after a peer closed its connection while the node was writing to it). On loopback, in this
// process, whose disposition is what the product sets: a peer resets the connection in the middle
// of large answers the transport is writing, a peer resets in the middle of a large frame it is
// sending, and stderr is a pipe whose reader is gone. The process survives each, and the
// transport keeps serving a well-behaved peer.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include "common/log.h"
#include "common/process_signals.h"
#include "dht/frame_codec.h"
#include "raw_socket.h"
#include "test_credentials.h"
#include "transport_peer.h"

namespace peerstore {
namespace {

using test::eventually;
using test::RawSocket;
using test::TransportPeer;

constexpr size_t kAnswer = 1 << 20;  // the largest messages are blocks of up to 1 MiB

// Closes `fd` with a reset (SO_LINGER 0) instead of a graceful FIN, as a crashing peer does.
void reset(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::shutdown(fd, SHUT_RDWR);
}

TEST_CASE("sigpipe: the process ignores SIGPIPE once a loop thread runs") {
  auto loop = LoopThread::start("sigpipe-test");
  REQUIRE(loop.ok());
  struct sigaction sa {};
  REQUIRE(::sigaction(SIGPIPE, nullptr, &sa) == 0);
  CHECK((sa.sa_handler == SIG_IGN));
}

TEST_CASE("sigpipe: a peer resetting in the middle of large answers kills nothing") {
  TcpTransportOptions opt;
  opt.listen = "127.0.0.1:0";
  // Every message is answered with 1 MiB, so the transport has megabytes queued on the socket
  // when the peer goes.
  auto server = TransportPeer::start(opt, [](TcpTransport& t, const std::string& from, ByteView) {
    t.send(from, Bytes(kAnswer, 0x5a));
  });
  for (int round = 0; round < 5; ++round) {
    RawSocket s(server->port());
    auto filter = s.handshake(test::test_credentials());
    REQUIRE(filter);
    for (int i = 0; i < 16; ++i)
      REQUIRE(s.write(FrameCodec::encode(filter->seal(to_bytes("q" + std::to_string(i))))));
    REQUIRE(eventually([&] { return server->inbox_size() >= size_t(16 * (round + 1)); }));
    // Let the answers start flowing, then reset with most of them still unwritten.
    char buf[4096];
    (void)!::read(s.fd(), buf, sizeof buf);
    reset(s.fd());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // Still alive (a SIGPIPE would have ended this test binary) and still serving.
  auto good = TransportPeer::start({});
  good->send(server->address(), to_bytes("after"));
  CHECK(eventually([&] { return good->inbox_size() == 1; }, 10000));
}

TEST_CASE("sigpipe: a peer resetting in the middle of a large frame it sends kills nothing") {
  TcpTransportOptions opt;
  opt.listen = "127.0.0.1:0";
  auto server = TransportPeer::start(opt, [](TcpTransport& t, const std::string& from, ByteView m) {
    t.send(from, Bytes(m.begin(), m.end()));
  });
  for (int round = 0; round < 5; ++round) {
    RawSocket s(server->port());
    auto filter = s.handshake(test::test_credentials());
    REQUIRE(filter);
    Bytes frame = FrameCodec::encode(filter->seal(Bytes(kAnswer, 0x33)));
    frame.resize(frame.size() / 2);  // half of it, then gone
    s.write(frame);
    reset(s.fd());
  }
  auto good = TransportPeer::start({});
  good->send(server->address(), to_bytes("after"));
  CHECK(eventually([&] { return good->inbox_size() == 1; }, 10000));
}

TEST_CASE("sigpipe: logging to a stderr pipe whose reader is gone kills nothing") {
  ignore_sigpipe();  // as every binary does through its loop thread
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  int saved = ::dup(2);
  REQUIRE(saved >= 0);
  ::dup2(fds[1], 2);
  ::close(fds[1]);
  ::close(fds[0]);  // the reader is gone
  log::warn("a line nobody reads");
  log::warn("and another");
  std::fflush(stderr);
  // Reaching this line is most of the test (SIGPIPE's default action ends the process); the
  // write itself fails with EPIPE, which the logger ignores.
  ssize_t n = ::write(2, "x", 1);
  int err = errno;
  ::dup2(saved, 2);
  ::close(saved);
  CHECK(n == -1);
  CHECK(err == EPIPE);
}

}  // namespace
}  // namespace peerstore
