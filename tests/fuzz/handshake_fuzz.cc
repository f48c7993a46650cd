// Fuzz target: the transport handshake (dht/handshake.h). The first input byte picks what the
// rest is:
//   0, 1: the peer's hello, to a fresh acceptor (0) or dialer (1);
//   2:    the content of an opened auth frame (Handshake::decode_auth): whatever decodes has a
//         32-byte key, a 64-byte signature and an address that is empty or HOST:PORT;
//   3:    a mask XORed over a real auth frame of a member of the same network: the handshake
//         completes only if the mask changed nothing;
//   4, 5: frames to open after a real handshake on AES-256-GCM (4) or ChaCha20-Poly1305 (5):
//         each fails unless it is the peer's own frame.
// Modes 3 and 4 draw fresh ephemeral keys, so they check invariants, not exact coverage.
#include "common/msgpack_codec.h"
#include "dht/handshake.h"
#include "dht/host_port.h"
#include "fuzz_support.h"

using namespace peerstore;

namespace {

PeerCredentialsPtr member(uint8_t device) {
  static auto secret_fill = uint8_t(7);
  return std::make_shared<PeerCredentials>(SigningKey::from_seed(fuzz::fixed_secret(device)),
                                           fuzz::fixed_secret(secret_fill));
}

constexpr uint64_t kBoth = Handshake::kOfferAes256Gcm | Handshake::kOfferChaCha20Poly1305;

struct Pair {
  Handshake dialer;
  Handshake acceptor;
  Bytes dialer_auth, acceptor_auth;

  explicit Pair(uint64_t offer = kBoth)
      : dialer(member(1), "127.0.0.1:1", true, offer),
        acceptor(member(2), "127.0.0.1:2", false, offer) {
    auto d = dialer.receive(acceptor.first_frame());
    auto a = acceptor.receive(dialer.first_frame());
    fuzz::check(d.ok() && a.ok() && d->reply.size() == 1 && a->reply.size() == 1,
                "a member's hello was refused");
    dialer_auth = std::move(d->reply[0]);
    acceptor_auth = std::move(a->reply[0]);
  }
};

Bytes with_mode(uint8_t mode, ByteView rest) {
  Bytes b{mode};
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

}  // namespace

namespace peerstore::fuzz {
void make_seeds(Seeds& seeds) {
  Bytes hello = Handshake(member(1), "", true).first_frame();
  seeds.add("hello-to-acceptor", with_mode(0, hello));
  seeds.add("hello-to-dialer", with_mode(1, hello));
  mp::Buffer buf;
  mp::Packer p(buf);
  p.pack_array(3);
  mp::pack_bin(p, member(1)->device.public_key().view());
  p.pack(std::string("127.0.0.1:3000"));
  Signature sig{};
  mp::pack_bin(p, ByteView(sig.data(), sig.size()));
  seeds.add("auth-content", with_mode(2, mp::view(buf)));
  seeds.add("auth-mask-none", with_mode(3, Bytes(16, 0)));
  seeds.add("auth-mask-one-bit", with_mode(3, Bytes{0, 0, 0, 0x10}));
  Pair pair;
  auto done = pair.acceptor.receive(pair.dialer_auth);
  check(done.ok() && done->done.has_value(), "a member's auth was refused");
  seeds.add("sealed-frames", with_mode(4, done->done->filter->seal(to_bytes("frame"))));
  Pair chacha(Handshake::kOfferChaCha20Poly1305);
  auto done2 = chacha.acceptor.receive(chacha.dialer_auth);
  check(done2.ok() && done2->done.has_value(), "a member's auth was refused");
  seeds.add("sealed-frames-chacha", with_mode(5, done2->done->filter->seal(to_bytes("frame"))));
}
}  // namespace peerstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ByteView in(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0:
    case 1: {
      Handshake h(member(3), "127.0.0.1:3", data[0] % 6 == 1);
      auto r = h.receive(in);
      if (r) fuzz::check(r->reply.size() == 1 && !r->done, "a hello completed a handshake");
      break;
    }
    case 2: {
      auto a = Handshake::decode_auth(in);
      if (!a) {
        fuzz::check(a.code() == Errc::corrupt, "an auth error other than corrupt");
        break;
      }
      fuzz::check(a->signature.size() == 64, "an auth signature of the wrong size");
      fuzz::check(a->listen.empty() || HostPort::parse(a->listen).ok(), "a bad auth address");
      break;
    }
    case 3: {
      Pair pair;
      Bytes frame = pair.dialer_auth;
      bool changed = false;
      for (size_t i = 0; i < in.size() && i < frame.size(); ++i) {
        frame[i] ^= in[i];
        changed |= in[i] != 0;
      }
      if (in.size() > frame.size()) {  // a longer frame: the tail is appended
        frame.insert(frame.end(), in.begin() + frame.size(), in.end());
        changed = true;
      }
      auto r = pair.acceptor.receive(frame);
      fuzz::check(r.ok() != changed, changed ? "an altered auth frame was accepted"
                                             : "a member's auth frame was refused");
      break;
    }
    case 4:
    case 5: {
      Pair pair(data[0] % 6 == 4 ? kBoth : Handshake::kOfferChaCha20Poly1305);
      auto done = pair.acceptor.receive(pair.dialer_auth);
      fuzz::check(done.ok() && done->done.has_value(), "a member's auth was refused");
      auto r = done->done->filter->open(Bytes(in.begin(), in.end()));
      fuzz::check(!r.ok(), "a frame nobody sealed opened");
      break;
    }
  }
  return 0;
}
