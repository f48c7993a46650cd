// Bad input on a TcpTransport's listener, from raw POSIX sockets: random bytes, a 4 GiB length
// prefix, a length one over the cap, a bad hello, a peer of another network, frames that are
// altered, replayed or not sealed at all, a frame cut short by the peer closing, a frame that
// drips in byte by byte, and a peer that never says hello. Each such connection is closed by
// the transport within a deadline, the stats say why, nothing is allocated by a claimed length,
// and a well-behaved peer connected throughout still exchanges messages.
#include <doctest/doctest.h>

#include <chrono>
#include <random>
#include <thread>

#include "alloc_probe.h"
#include "common/msgpack_codec.h"
#include "dht/frame_codec.h"
#include "dht/message.h"
#include "raw_socket.h"
#include "test_credentials.h"
#include "transport_peer.h"

namespace peerstore {
namespace {

using test::eventually;
using test::RawSocket;
using test::TransportPeer;

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes prefix(uint32_t n) {
  auto p = FrameCodec::prefix(n);
  return Bytes(p.begin(), p.end());
}

TEST_CASE("alloc probe: sees a large allocation") {
  test::AllocProbe probe;
  auto big = std::make_unique<Bytes>(size_t(8) << 20);
  CHECK(probe.largest() >= big->size());
}

TEST_CASE("tcp transport: bad input closes that connection only") {
  TcpTransportOptions opt;
  opt.listen = "127.0.0.1:0";
  opt.hello_timeout_ms = 1000;
  opt.frame_timeout_ms = 500;
  auto server = TransportPeer::start(opt, [](TcpTransport& t, const std::string& from, ByteView m) {
    t.send(from, Bytes(m.begin(), m.end()));
  });
  auto good = TransportPeer::start({});
  good->send(server->address(), to_bytes("before"));
  REQUIRE(eventually([&] { return good->inbox_size() == 1; }));

  // Each subcase runs on a fresh server: its connection must be the one closed, and why.
  enum Expect { bad_input, timeout, refused };
  // `delivered`: messages of the bad connection that were fine and got through.
  auto expect_closed = [&](RawSocket& s, Expect why, int64_t within_ms, size_t delivered = 0) {
    CHECK(s.closed_within(within_ms));
    // The counters may trail the socket closing by a loop iteration.
    CHECK(eventually(
        [&] {
          auto st = server->stats();
          return st.closed_bad_input == (why == bad_input) &&
                 st.closed_timeout == (why == timeout) && st.closed_refused == (why == refused);
        },
        1000));
    CHECK(server->inbox_size() == 1 + delivered);  // and the good peer's "before"
  };

  SUBCASE("random bytes") {
    std::mt19937_64 rng(7);
    Bytes junk(4096);
    for (auto& x : junk) x = uint8_t(rng());
    junk[0] = 0x7f;  // a length over the cap, whatever the seed
    RawSocket s(server->port());
    s.write(junk);
    expect_closed(s, bad_input, 3000);
  }
  SUBCASE("a 4 GiB length prefix allocates nothing for it") {
    test::AllocProbe probe;
    RawSocket s(server->port());
    s.write(cat(prefix(0xffffffff), Bytes(1000, 0)));
    expect_closed(s, bad_input, 3000);
    CHECK(probe.largest() < kMaxMessageSize);
  }
  SUBCASE("a length one over the cap, after a good handshake") {
    test::AllocProbe probe;
    RawSocket s(server->port());
    s.handshake(test::test_credentials());
    s.write(prefix(uint32_t(kMaxMessageSize + FrameFilter::kMaxOverhead + 1)));
    expect_closed(s, bad_input, 3000);
    CHECK(probe.largest() < kMaxMessageSize);
  }
  SUBCASE("a bad hello: the plaintext hello of protocol version 1") {
    mp::Buffer buf;
    mp::Packer p(buf);
    p.pack_array(3);
    p.pack(std::string_view("peerstore-hello"));
    p.pack(uint64_t(1));
    p.pack(std::string_view("127.0.0.1:1"));
    RawSocket s(server->port());
    s.write(FrameCodec::encode(mp::view(buf)));
    expect_closed(s, bad_input, 3000);
  }
  SUBCASE("a peer of another network is refused") {
    RawSocket s(server->port());
    auto shook = test::raw_handshake(s.fd(), test::test_credentials(2), true, "");
    CHECK(shook.code() == Errc::permission);
    expect_closed(s, refused, 3000);
  }
  SUBCASE("a frame not sealed, after a good handshake") {
    RawSocket s(server->port());
    s.handshake(test::test_credentials());
    s.write(FrameCodec::encode(to_bytes("plaintext message")));
    expect_closed(s, bad_input, 3000);
  }
  SUBCASE("an altered frame") {
    RawSocket s(server->port());
    auto filter = s.handshake(test::test_credentials());
    Bytes sealed = filter->seal(to_bytes("a message"));
    sealed[3] ^= 1;
    s.write(FrameCodec::encode(sealed));
    expect_closed(s, bad_input, 3000);
  }
  SUBCASE("a replayed frame") {
    RawSocket s(server->port());
    auto filter = s.handshake(test::test_credentials());
    Bytes sealed = FrameCodec::encode(filter->seal(to_bytes("once")));
    s.write(cat(sealed, sealed));
    expect_closed(s, bad_input, 3000, 1);  // the first copy only
  }
  SUBCASE("a message before the hello") {
    RawSocket s(server->port());
    s.write(FrameCodec::encode(to_bytes("not a hello")));
    expect_closed(s, bad_input, 3000);
  }
  SUBCASE("a frame cut short, then the peer closes its side") {
    RawSocket s(server->port());
    s.handshake(test::test_credentials());
    s.write(cat(prefix(1000), Bytes(10, 1)));
    s.shutdown_write();
    expect_closed(s, bad_input, 3000);
  }
  SUBCASE("a frame dripping in slower than frame_timeout_ms") {
    RawSocket s(server->port());
    s.handshake(test::test_credentials());
    s.write(prefix(100));
    auto start = std::chrono::steady_clock::now();
    std::thread drip([&] {
      for (int i = 0; i < 30 && s.write(Bytes{1}); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    });
    expect_closed(s, timeout, 3000);
    auto took = std::chrono::steady_clock::now() - start;
    CHECK(took >= std::chrono::milliseconds(450));
    drip.join();
  }
  SUBCASE("no hello within hello_timeout_ms") {
    RawSocket s(server->port());
    expect_closed(s, timeout, 3000);
  }

  // The well-behaved peer never noticed.
  good->send(server->address(), to_bytes("after"));
  REQUIRE(eventually([&] { return good->inbox_size() == 2; }));
  CHECK(good->inbox()[1].message == to_bytes("after"));
  CHECK(server->connections() == 1);
}

}  // namespace
}  // namespace peerstore
