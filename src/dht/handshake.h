// Handshake: the first frames of a TCP connection, which admit the peer to the network, prove
// who it is, and set up the keys every later frame is sealed with (DESIGN §6). Both sides run
// the same two steps at once:
//   1. hello, in the clear: msgpack ["peerstore-hello", 3, EPHEMERAL_X25519_PUBLIC_KEY, OFFER],
//      OFFER being the record ciphers this side runs (a bit set; kOffer*); a hello may carry up
//      to 4 more elements, which this version ignores, so later ones can offer more;
//   2. auth, once the peer's hello is in: msgpack [DEVICE_PUBLIC_KEY, LISTEN_ADDR, SIGNATURE],
//      sealed with ChaCha20-Poly1305 under a key only holders of the network secret can derive.
// Keys: T = BLAKE2b("peerstore/3 handshake" || dialer's ephemeral || acceptor's ephemeral ||
// dialer's offer || acceptor's offer, offers as 8 bytes little-endian); master = BLAKE2b keyed
// with the network secret over (X25519(ephemerals) || T); the two auth keys and the two traffic
// keys are crypto_kdf subkeys of master, one per direction. The signature is the device key's
// Ed25519 over ("peerstore/3 auth" || role || T || LISTEN_ADDR), so it binds this session's
// ephemerals, both offers and the claimed address, and cannot be reflected.
// The record cipher: AES-256-GCM if both offer it (both have it in hardware), else
// ChaCha20-Poly1305. Both offers are in T, so a man in the middle who strips one fails the auth.
// Properties: a device without the network secret cannot open the peer's auth, nor produce one
// the peer opens (Errc::permission on both sides); a replayed or altered handshake fails
// (fresh ephemerals each time); the traffic keys depend only on the ephemeral secrets, which
// are wiped when the handshake ends, so a device key stolen later decrypts nothing recorded
// (forward secrecy). The peer's ring id is BLAKE2b of the device key it proved. Nothing but
// the version, ephemeral keys and offers travels in the clear; the device key and address are
// sealed. Not thread-safe; one per connection.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/secret.h"
#include "dht/peer_credentials.h"
#include "keys/aead.h"

namespace peerstore {

// Names a TcpTransport gives peers that do not listen; never valid in a hello.
inline constexpr std::string_view kClientAddressPrefix = "client:";

// Transforms frame payloads once the handshake is done (per-direction AEAD).
class FrameFilter {
 public:
  // What seal() may add to a payload, so frames of the largest message still pass the cap.
  static constexpr size_t kMaxOverhead = 16;

  virtual ~FrameFilter() = default;
  virtual Bytes seal(Bytes payload) = 0;
  // Errc::corrupt if the payload was not sealed by the peer, in this order.
  virtual Result<Bytes> open(Bytes payload) = 0;
};

class Handshake {
 public:
  // Record ciphers a hello offers.
  static constexpr uint64_t kOfferChaCha20Poly1305 = 1u << 0;
  static constexpr uint64_t kOfferAes256Gcm = 1u << 1;
  // What this computer runs well: ChaCha20-Poly1305 always, AES-256-GCM where it is in hardware.
  static uint64_t local_offer();

  struct Outcome {
    std::string peer_listen;  // "" for a client
    PublicKey peer_device;    // proven by its signature
    Id256 peer_id;            // its ring id: BLAKE2b(peer_device)
    AeadSuite record_suite;   // the cipher `filter` seals with
    std::unique_ptr<FrameFilter> filter;
  };
  struct Step {
    std::vector<Bytes> reply;     // frames to send now
    std::optional<Outcome> done;  // set when the handshake is complete
  };

  static constexpr uint64_t kVersion = 3;

  // The auth frame's content once opened; `signature` points into the decoded bytes.
  struct Auth {
    PublicKey device;
    std::string listen;  // "" or a valid HOST:PORT, never a reserved client name
    ByteView signature;
  };
  // Decodes an opened auth frame (Errc::corrupt if malformed); signature unchecked. Public for
  // the fuzz target, which cannot seal frames of its own.
  static Result<Auth> decode_auth(ByteView plain);

  // `dialer`: this side opened the connection (the roles only order the transcript). `offer`:
  // the record ciphers to offer (tests narrow it).
  Handshake(PeerCredentialsPtr credentials, std::string own_listen, bool dialer,
            uint64_t offer = local_offer());
  Handshake(Handshake&&) noexcept = default;
  Handshake& operator=(Handshake&&) noexcept = default;
  ~Handshake();

  // The hello, to send as soon as the connection is up.
  Bytes first_frame() const;
  // A frame from the peer. Errc::corrupt for a malformed frame or another protocol version;
  // Errc::permission when the peer is not admitted (no network secret in common) or its
  // signature does not verify. Either way the connection must be closed.
  Result<Step> receive(ByteView frame);

 private:
  Result<Step> on_hello(ByteView frame);
  Result<Step> on_auth(ByteView frame);

  PeerCredentialsPtr credentials_;
  std::string own_listen_;
  bool dialer_;
  uint64_t offer_;
  AeadSuite record_suite_ = AeadSuite::chacha20_poly1305;  // chosen once the peer's hello is in
  Id256 ephemeral_pk_;
  Secret ephemeral_sk_;
  Secret master_;  // set once the peer's hello is in
  Id256 transcript_;
  enum class State { hello, auth, done } state_ = State::hello;
};

}  // namespace peerstore
