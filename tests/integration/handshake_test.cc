// The handshake, in memory: the hello's layout; two members learn each other's address, device
// key and ring id and get working sealed channels; altered, replayed, reordered frames fail;
// a device of another network is refused on both sides; a swapped ephemeral key or a recorded
// auth frame fails; no identity crosses in the clear; bad hellos are corrupt. HostPort: the
// address forms users and peers write (IPv4, names, bracketed IPv6), and what is refused.
#include "dht/handshake.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <optional>

#include "common/msgpack_codec.h"
#include "dht/host_port.h"
#include "dht/node_ref.h"
#include "test_credentials.h"

namespace peerstore {
namespace {

constexpr uint64_t kBoth = Handshake::kOfferChaCha20Poly1305 | Handshake::kOfferAes256Gcm;

// A hello with `extra` elements after the offer (none: no offer either).
Bytes pack_hello(std::string_view magic, uint64_t version, ByteView key,
                 std::optional<uint64_t> offer = kBoth, uint32_t extra = 0) {
  mp::Buffer buf;
  mp::Packer p(buf);
  p.pack_array(3 + (offer ? 1 + extra : 0));
  p.pack(magic);
  p.pack(version);
  mp::pack_bin(p, key);
  if (offer) p.pack(*offer);
  if (offer)
    for (uint32_t i = 0; i < extra; ++i) p.pack(std::string("later"));
  return mp::to_bytes(buf);
}

struct Outcomes {
  Result<Handshake::Step> dialer = fail(Errc::invalid, "not run");
  Result<Handshake::Step> acceptor = fail(Errc::invalid, "not run");
};

// Runs both sides to the end, in memory, delivering each frame after `tamper` saw it
// (tamper(from_dialer, index, frame)).
Outcomes run(
    Handshake& d, Handshake& a,
    const std::function<void(bool, int, Bytes&)>& tamper = [](bool, int, Bytes&) {}) {
  Bytes dh = d.first_frame(), ah = a.first_frame();
  tamper(true, 0, dh);
  tamper(false, 0, ah);
  auto d1 = d.receive(ah);
  auto a1 = a.receive(dh);
  Outcomes out;
  if (!d1) out.dialer = d1.error();
  if (!a1) out.acceptor = a1.error();
  if (!d1 || !a1) return out;
  REQUIRE(d1->reply.size() == 1);
  REQUIRE(a1->reply.size() == 1);
  CHECK_FALSE(d1->done);
  tamper(true, 1, d1->reply[0]);
  tamper(false, 1, a1->reply[0]);
  out.dialer = d.receive(a1->reply[0]);
  out.acceptor = a.receive(d1->reply[0]);
  return out;
}

bool contains(ByteView hay, ByteView needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

TEST_CASE("handshake: hello layout: magic, version 3, a fresh 32-byte ephemeral key, the offer") {
  auto creds = test::test_credentials();
  Bytes h1 = Handshake(creds, "127.0.0.1:3000", true, kBoth).first_frame();
  Bytes h2 = Handshake(creds, "127.0.0.1:3000", true, kBoth).first_frame();
  std::string hex = to_hex(h1);
  CHECK(
      hex.starts_with("94"                                // array of 4
                      "af7065657273746f72652d68656c6c6f"  // str 15 "peerstore-hello"
                      "03"                                // version 3
                      "c420"));                           // bin 32
  CHECK(hex.ends_with("03"));                             // offer: both ciphers
  CHECK(h1.size() == 1 + 16 + 1 + 2 + 32 + 1);
  CHECK(h1 != h2);
  // This computer offers ChaCha20-Poly1305 always, and AES-256-GCM where it has it in hardware.
  CHECK(Handshake::local_offer() ==
        (aes_gcm_in_hardware() ? kBoth : Handshake::kOfferChaCha20Poly1305));
}

TEST_CASE(
    "handshake: the record cipher is AES-256-GCM when both offer it, else ChaCha20-Poly1305") {
  struct Case {
    uint64_t dialer, acceptor;
    AeadSuite want;
  };
  const uint64_t chacha = Handshake::kOfferChaCha20Poly1305;
  for (Case c : {Case{kBoth, kBoth, AeadSuite::aes256_gcm},
                 Case{kBoth, chacha, AeadSuite::chacha20_poly1305},
                 Case{chacha, kBoth, AeadSuite::chacha20_poly1305},
                 Case{chacha, chacha, AeadSuite::chacha20_poly1305},
                 Case{Handshake::kOfferAes256Gcm, kBoth, AeadSuite::aes256_gcm},
                 Case{kBoth | 0x100, kBoth, AeadSuite::aes256_gcm}}) {  // unknown bits ignored
    CAPTURE(c.dialer);
    CAPTURE(c.acceptor);
    Handshake d(test::test_credentials(), "", true, c.dialer),
        a(test::test_credentials(), "", false, c.acceptor);
    auto out = run(d, a);
    REQUIRE(out.dialer.ok());
    REQUIRE(out.acceptor.ok());
    CHECK(out.dialer->done->record_suite == c.want);
    CHECK(out.acceptor->done->record_suite == c.want);
    Bytes m = to_bytes("both sides chose the same cipher");
    auto opened = out.acceptor->done->filter->open(out.dialer->done->filter->seal(m));
    REQUIRE(opened.ok());
    CHECK(*opened == m);
  }
  SUBCASE("nothing in common is refused on both sides") {
    Handshake d(test::test_credentials(), "", true, Handshake::kOfferAes256Gcm),
        a(test::test_credentials(), "", false, Handshake::kOfferChaCha20Poly1305);
    auto out = run(d, a);
    CHECK(out.dialer.code() == Errc::corrupt);
    CHECK(out.acceptor.code() == Errc::corrupt);
  }
  SUBCASE("a man in the middle who strips AES-256-GCM from an offer fails the auth") {
    Handshake d(test::test_credentials(), "", true, kBoth),
        a(test::test_credentials(), "", false, kBoth);
    auto out = run(d, a, [&](bool from_dialer, int i, Bytes& f) {
      if (from_dialer && i == 0) {
        REQUIRE(f.back() == 0x03);
        f.back() = 0x01;
      }
    });
    CHECK(out.dialer.code() == Errc::permission);
    CHECK(out.acceptor.code() == Errc::permission);
  }
}

TEST_CASE("handshake: a hello with elements this version does not know is accepted") {
  Bytes hello = Handshake(test::test_credentials(), "", true).first_frame();
  // The same hello with up to four more elements after the offer.
  for (uint32_t extra : {1u, 4u}) {
    Handshake fresh(test::test_credentials(), "127.0.0.1:1", false);
    Bytes key(hello.end() - 33, hello.end() - 1);
    CHECK(fresh.receive(pack_hello("peerstore-hello", 3, key, kBoth, extra)).ok());
  }
  Handshake fresh(test::test_credentials(), "127.0.0.1:1", false);
  Bytes key(hello.end() - 33, hello.end() - 1);
  CHECK(fresh.receive(pack_hello("peerstore-hello", 3, key, kBoth, 5)).code() == Errc::corrupt);
}

TEST_CASE("handshake: members of one network: both sides learn who the other is") {
  for (std::string addr : {"127.0.0.1:3000", "[::1]:1", "node.example:65535", ""}) {
    auto dc = test::test_credentials(), ac = test::test_credentials();
    Handshake d(dc, addr, true), a(ac, "127.0.0.1:1", false);
    auto out = run(d, a);
    REQUIRE(out.dialer.ok());
    REQUIRE(out.acceptor.ok());
    REQUIRE(out.dialer->done);
    REQUIRE(out.acceptor->done);
    CHECK(out.dialer->reply.empty());
    auto& at_d = *out.dialer->done;
    auto& at_a = *out.acceptor->done;
    CHECK(at_a.peer_listen == addr);
    CHECK(at_d.peer_listen == "127.0.0.1:1");
    CHECK(at_a.peer_device == dc->device.public_key());
    CHECK(at_a.peer_id == node_id_for(dc->device.public_key()));
    CHECK(at_d.peer_id == node_id_for(ac->device.public_key()));

    // Sealed both ways; what one seals only the other opens, once, in order.
    Bytes m = to_bytes("message for the acceptor");
    Bytes sealed = at_d.filter->seal(m);
    CHECK(sealed.size() == m.size() + 16);
    CHECK_FALSE(contains(sealed, m));
    auto opened = at_a.filter->open(sealed);
    REQUIRE(opened.ok());
    CHECK(*opened == m);
    CHECK(at_a.filter->open(sealed).code() == Errc::corrupt);  // a replay
    Bytes back = at_a.filter->seal(to_bytes("answer"));
    CHECK(at_a.filter->open(back).code() == Errc::corrupt);  // its own direction's key differs
  }
}

TEST_CASE("handshake: frames that are altered, reordered or dropped fail to open") {
  Handshake d(test::test_credentials(), "", true), a(test::test_credentials(), "", false);
  auto out = run(d, a);
  REQUIRE(out.dialer.ok());
  REQUIRE(out.acceptor.ok());
  auto& tx = *out.dialer->done->filter;
  auto& rx = *out.acceptor->done->filter;
  Bytes f0 = tx.seal(to_bytes("zero")), f1 = tx.seal(to_bytes("one"));
  SUBCASE("altered") {
    for (size_t i = 0; i < f0.size(); ++i) {
      Bytes bad = f0;
      bad[i] ^= 0x80;
      CHECK(rx.open(bad).code() == Errc::corrupt);
    }
    CHECK(rx.open(Bytes(f0.begin(), f0.end() - 1)).code() == Errc::corrupt);
    CHECK(rx.open(Bytes(5, 0)).code() == Errc::corrupt);
  }
  SUBCASE("reordered or dropped") {
    CHECK(rx.open(f1).code() == Errc::corrupt);
  }
  SUBCASE("in order") {
    CHECK(rx.open(f0).ok());
    CHECK(rx.open(f1).ok());
  }
}

TEST_CASE("handshake: without the network secret, both sides refuse") {
  Handshake d(test::test_credentials(1), "127.0.0.1:2", true),
      a(test::test_credentials(2), "127.0.0.1:1", false);
  auto out = run(d, a);
  CHECK(out.dialer.code() == Errc::permission);
  CHECK(out.acceptor.code() == Errc::permission);
  CHECK(out.acceptor.error().context.find("network") != std::string::npos);
}

TEST_CASE("handshake: a replayed or altered handshake fails") {
  SUBCASE("a man in the middle swaps an ephemeral key") {
    Handshake d(test::test_credentials(), "", true), a(test::test_credentials(), "", false);
    Bytes other = Handshake(test::test_credentials(), "", true).first_frame();
    auto out = run(d, a, [&](bool from_dialer, int i, Bytes& f) {
      if (from_dialer && i == 0) f = other;
    });
    CHECK(out.dialer.code() == Errc::permission);
    CHECK(out.acceptor.code() == Errc::permission);
  }
  SUBCASE("an auth frame recorded from an earlier session") {
    auto dc = test::test_credentials(), ac = test::test_credentials();
    Bytes recorded;
    {
      Handshake d(dc, "", true), a(ac, "", false);
      auto out = run(d, a, [&](bool from_dialer, int i, Bytes& f) {
        if (from_dialer && i == 1) recorded = f;
      });
      REQUIRE(out.acceptor.ok());
    }
    Handshake d(dc, "", true), a(ac, "", false);
    auto out = run(d, a, [&](bool from_dialer, int i, Bytes& f) {
      if (from_dialer && i == 1) f = recorded;
    });
    CHECK(out.acceptor.code() == Errc::permission);
  }
  SUBCASE("a bit flipped in the auth frame") {
    for (int bit = 0; bit < 8 * 40; bit += 7) {
      Handshake d(test::test_credentials(), "", true), a(test::test_credentials(), "", false);
      auto out = run(d, a, [&](bool from_dialer, int i, Bytes& f) {
        if (!from_dialer && i == 1) f[size_t(bit / 8) % f.size()] ^= uint8_t(1 << (bit % 8));
      });
      CHECK(out.dialer.code() == Errc::permission);
    }
  }
}

TEST_CASE("handshake: the device key and address never travel in the clear") {
  auto dc = test::test_credentials();
  Handshake d(dc, "10.1.2.3:4567", true), a(test::test_credentials(), "", false);
  Bytes wire;
  auto out = run(d, a, [&](bool, int, Bytes& f) { wire.insert(wire.end(), f.begin(), f.end()); });
  REQUIRE(out.acceptor.ok());
  CHECK_FALSE(contains(wire, dc->device.public_key().view()));
  CHECK_FALSE(contains(wire, to_bytes("10.1.2.3:4567")));
  CHECK_FALSE(contains(wire, dc->network_secret.view()));
}

TEST_CASE("handshake: bad hellos are corrupt") {
  Handshake us(test::test_credentials(), "127.0.0.1:1", false);
  Bytes key(32, 9);
  std::vector<Bytes> bad = {
      pack_hello("peerstore-hellO", 3, key),
      pack_hello("peerstore-hello", 1, key),
      pack_hello("peerstore-hello", 2, key),      // the previous version, with an offer
      pack_hello("peerstore-hello", 2, key, {}),  // the previous version as it was
      pack_hello("peerstore-hello", 4, key),
      pack_hello("peerstore-hello", 3, key, {}),  // no offer
      pack_hello("peerstore-hello", 3, key, 0),   // an empty offer
      pack_hello("peerstore-hello", 3, Bytes(31, 9)),
      pack_hello("peerstore-hello", 3, Bytes(33, 9)),
      pack_hello("peerstore-hello", 3, Bytes(32, 0)),  // a low-order point
      Bytes{0x92, 0xa1, 'x', 0x01},
      Bytes{0x93, 0x01, 0x01, 0x01},
      Bytes{0xc1},
      Bytes{0xdd, 0xff, 0xff, 0xff, 0xff},  // array of 4 billion
  };
  Bytes bad_offer = pack_hello("peerstore-hello", 3, key);
  bad_offer.back() = 0xa1;  // a string where the offer goes
  bad_offer.push_back('x');
  bad.push_back(bad_offer);
  Bytes trailing = pack_hello("peerstore-hello", 3, key);
  trailing.push_back(0);
  bad.push_back(trailing);
  for (auto& b : bad) {
    Handshake fresh(test::test_credentials(), "127.0.0.1:1", false);
    auto r = fresh.receive(b);
    INFO(to_hex(b));
    REQUIRE_FALSE(r.ok());
    CHECK(r.code() == Errc::corrupt);
  }
  // A node of the previous release is told what to do.
  Handshake fresh(test::test_credentials(), "127.0.0.1:1", false);
  auto old = fresh.receive(pack_hello("peerstore-hello", 2, key, {}));
  CHECK(old.error().context.find("same PeerStore release") != std::string::npos);
  // An auth frame of absurd size is refused before any work.
  Handshake d(test::test_credentials(), "", true);
  REQUIRE(us.receive(d.first_frame()).ok());
  CHECK(us.receive(Bytes(100000, 1)).code() == Errc::corrupt);
  CHECK(us.receive(Bytes(3, 1)).code() == Errc::corrupt);
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
  ok("node-1.example_net:80", "node-1.example_net", 80);
  // Numbers that are not a whole IPv4 address: the resolver would read "1.2.3" as 1.2.0.3.
  for (std::string_view s : {"",
                             ":3000",
                             "127.0.0.1",
                             "127.0.0.1:",
                             "127.0.0.1:65536",
                             "127.0.0.1:-1",
                             "127.0.0.1:30a",
                             "::1:3000",
                             "[::1]3000",
                             "[::1",
                             "a b:1",
                             "127.0.0.1:123456",
                             "1.2.3:99",
                             "7:3000",
                             "256.1.1.1:1",
                             "1.2.3.4.5:1",
                             "1..2.3:1",
                             "host!:1",
                             "[zz::1]:1",
                             "[127.0.0.1]:1"}) {
    INFO(s);
    CHECK(HostPort::parse(s).code() == Errc::invalid);
  }
}

}  // namespace
}  // namespace peerstore
