#include "raw_socket.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "dht/frame_codec.h"
#include "dht/handshake.h"
#include "test_credentials.h"

namespace peerstore::test {

RawSocket::RawSocket(uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd_ >= 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawSocket::write(ByteView bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    off += size_t(n);
  }
  return true;
}

void RawSocket::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

bool RawSocket::closed_within(int64_t timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  uint8_t buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, int(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0 && errno != EINTR) return errno == ECONNRESET;
  }
}

Bytes hello_frame() {
  return FrameCodec::encode(Handshake(test_credentials(), "", true).first_frame());
}

std::unique_ptr<FrameFilter> RawSocket::handshake(PeerCredentialsPtr credentials,
                                                  const std::string& listen) {
  auto done = raw_handshake(fd_, std::move(credentials), true, listen);
  INFO((done.ok() ? "" : done.error().message()));
  REQUIRE(done.ok());
  return std::move(done->filter);
}

Result<Handshake::Outcome> raw_handshake(int fd, PeerCredentialsPtr credentials, bool dialer,
                                         const std::string& listen) {
  Handshake hs(std::move(credentials), listen, dialer);
  auto send_frame = [&](ByteView payload) {
    Bytes f = FrameCodec::encode(payload);
    return ::send(fd, f.data(), f.size(), MSG_NOSIGNAL) == ssize_t(f.size());
  };
  if (!send_frame(hs.first_frame())) return fail(Errc::io, "cannot send the hello");
  FrameCodec codec;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  uint8_t buf[4096];
  for (;;) {
    PS_ASSIGN(auto frame, codec.next());
    if (frame) {
      PS_ASSIGN(auto step, hs.receive(*frame));
      for (auto& r : step.reply)
        if (!send_frame(r)) return fail(Errc::io, "cannot send the auth frame");
      if (step.done) return std::move(*step.done);
      continue;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, int(left)) <= 0) return fail(Errc::timeout, "handshake");
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return fail(Errc::unavailable, "closed during the handshake");
    codec.feed(ByteView(buf, size_t(n)));
  }
}

}  // namespace peerstore::test
