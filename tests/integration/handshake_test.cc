// The hello: golden bytes; any hello round-trips its listen address; wrong magic, version,
// shape, types or a reserved or malformed address are corrupt. HostPort: the address forms
// users and peers write (IPv4, names, bracketed IPv6), and what is refused.
#include "dht/handshake.h"

#include <doctest/doctest.h>

#include "common/msgpack_codec.h"
#include "dht/host_port.h"

namespace peerstore {
namespace {

Bytes pack_hello(std::string_view magic, uint64_t version, std::string_view addr) {
  mp::Buffer buf;
  mp::Packer p(buf);
  p.pack_array(3);
  p.pack(magic);
  p.pack(version);
  p.pack(addr);
  return mp::to_bytes(buf);
}

TEST_CASE("hello: golden bytes") {
  Bytes h = Handshake("127.0.0.1:3000").first_frame();
  CHECK(to_hex(h) ==
        "93"                                // array of 3
        "af7065657273746f72652d68656c6c6f"  // str 15 "peerstore-hello"
        "01"                                // version 1
        "ae3132372e302e302e313a33303030");  // str 14 "127.0.0.1:3000"
  CHECK(to_hex(Handshake("").first_frame()) == "93af7065657273746f72652d68656c6c6f01a0");
}

TEST_CASE("hello: round trip") {
  for (std::string addr : {"127.0.0.1:3000", "[::1]:1", "node.example:65535", ""}) {
    Handshake peer(addr), us("127.0.0.1:1");
    auto step = us.receive(peer.first_frame());
    REQUIRE(step.ok());
    CHECK(step->reply.empty());
    REQUIRE(step->done.has_value());
    CHECK(step->done->peer_listen == addr);
    CHECK(step->done->filter == nullptr);
  }
}

TEST_CASE("hello: bad ones are corrupt") {
  Handshake us("127.0.0.1:1");
  std::vector<Bytes> bad = {
      pack_hello("peerstore-hellO", 1, ""),
      pack_hello("peerstore-hello", 2, ""),
      pack_hello("peerstore-hello", 1, "client:3"),
      pack_hello("peerstore-hello", 1, "no-port"),
      pack_hello("peerstore-hello", 1, "::1:3000"),
      pack_hello("peerstore-hello", 1, std::string(300, 'a') + ":1"),
      Bytes{0x92, 0xa1, 'x', 0x01},
      Bytes{0x93, 0x01, 0x01, 0x01},
      Bytes{0xc1},
      Bytes{0xdd, 0xff, 0xff, 0xff, 0xff},  // array of 4 billion
  };
  Bytes trailing = pack_hello("peerstore-hello", 1, "");
  trailing.push_back(0);
  bad.push_back(trailing);
  for (auto& b : bad) {
    auto r = us.receive(b);
    INFO(to_hex(b));
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Errc::corrupt);
  }
}

TEST_CASE("host:port") {
  auto ok = [](std::string_view s, std::string host, uint16_t port) {
    auto hp = HostPort::parse(s);
    INFO(s);
    REQUIRE(hp.ok());
    CHECK(hp->host == host);
    CHECK(hp->port == port);
    CHECK(hp->str() == s);
  };
  ok("127.0.0.1:3000", "127.0.0.1", 3000);
  ok("[::1]:0", "::1", 0);
  ok("[fe80::1%eth0]:65535", "fe80::1%eth0", 65535);
  ok("localhost:3000", "localhost", 3000);
  for (std::string_view s :
       {"", ":3000", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:30a",
        "::1:3000", "[::1]3000", "[::1", "a b:1", "127.0.0.1:123456"}) {
    INFO(s);
    CHECK(HostPort::parse(s).code() == Errc::invalid);
  }
}

}  // namespace
}  // namespace peerstore
