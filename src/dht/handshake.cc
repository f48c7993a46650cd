#include "dht/handshake.h"

#include <sodium.h>

#include <algorithm>

#include "common/msgpack_codec.h"
#include "dht/aead_frame_filter.h"
#include "dht/host_port.h"
#include "dht/node_ref.h"

namespace peerstore {
namespace {

constexpr std::string_view kMagic = "peerstore-hello";
constexpr std::string_view kTranscriptLabel = "peerstore/3 handshake";
constexpr std::string_view kSignatureLabel = "peerstore/3 auth";
// A hello: magic, version, ephemeral key, offer, and up to this many elements more.
constexpr uint32_t kHelloCore = 4, kHelloMax = 8;
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "pshandsh";
// crypto_kdf subkey ids.
constexpr uint64_t kAuthFromDialer = 1, kAuthFromAcceptor = 2;
constexpr uint64_t kTrafficFromDialer = 3, kTrafficFromAcceptor = 4;
// The auth frame: device key, address, signature, msgpack framing and the AEAD tag.
constexpr size_t kMaxAuthFrame = 32 + kMaxAddressSize + 64 + 32 + AeadFrameFilter::kTagSize;

const std::string kNotAdmitted =
    "the peer does not hold this network's secret (or the handshake was altered on the way)";

Secret subkey(const Secret& master, uint64_t id) {
  Secret k(AeadFrameFilter::kKeySize);
  crypto_kdf_derive_from_key(k.data(), k.size(), id, kKdfContext, master.data());
  return k;
}

ByteView sv_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// What the device key signs: the label, the signer's role, the transcript and its address.
Bytes signed_part(bool by_dialer, const Id256& transcript, const std::string& listen) {
  auto label = sv_bytes(kSignatureLabel);
  auto addr = sv_bytes(listen);
  Bytes m(label.size() + 1 + transcript.b.size() + addr.size());
  auto at = std::copy(label.begin(), label.end(), m.begin());
  *at++ = by_dialer ? 'd' : 'a';
  at = std::copy(transcript.b.begin(), transcript.b.end(), at);
  std::copy(addr.begin(), addr.end(), at);
  return m;
}

// Nonce 0 is safe: each auth key seals exactly one message.
constexpr std::array<uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES> kAuthNonce{};

std::array<uint8_t, 8> le64(uint64_t v) {
  std::array<uint8_t, 8> b;
  for (size_t i = 0; i < 8; ++i) b[i] = uint8_t(v >> (8 * i));
  return b;
}

}  // namespace

uint64_t Handshake::local_offer() {
  return kOfferChaCha20Poly1305 | (aes_gcm_in_hardware() ? kOfferAes256Gcm : 0);
}

Handshake::Handshake(PeerCredentialsPtr credentials, std::string own_listen, bool dialer,
                     uint64_t offer)
    : credentials_(std::move(credentials)),
      own_listen_(std::move(own_listen)),
      dialer_(dialer),
      offer_(offer),
      ephemeral_sk_(crypto_scalarmult_SCALARBYTES) {
  crypto_box_keypair(ephemeral_pk_.b.data(), ephemeral_sk_.data());
}

Handshake::~Handshake() = default;  // Secret wipes the ephemeral and master keys

Bytes Handshake::first_frame() const {
  mp::Buffer buf;
  mp::Packer p(buf);
  p.pack_array(kHelloCore);
  p.pack(kMagic);
  p.pack(kVersion);
  mp::pack_bin(p, ephemeral_pk_.view());
  p.pack(offer_);
  return mp::to_bytes(buf);
}

Result<Handshake::Step> Handshake::receive(ByteView frame) {
  switch (state_) {
    case State::hello:
      return on_hello(frame);
    case State::auth:
      return on_auth(frame);
    case State::done:
      break;
  }
  return fail(Errc::corrupt, "handshake frame after the handshake");
}

Result<Handshake::Step> Handshake::on_hello(ByteView frame) {
  mp::Limits limits;
  limits.array = kHelloMax;
  limits.map = 0;
  limits.str = kMagic.size();
  limits.bin = 32;
  limits.depth = 2;
  PS_ASSIGN(auto oh, mp::unpack(frame, limits));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 3, kHelloMax));
  if (a[0].type != msgpack::type::STR || a[0].as<std::string_view>() != kMagic)
    return fail(Errc::corrupt, "not a peerstore hello");
  PS_ASSIGN(uint64_t version, mp::get_u64(a[1]));
  if (version != kVersion)
    return fail(Errc::corrupt, "the peer speaks protocol version " + std::to_string(version) +
                                   ", we speak " + std::to_string(kVersion) +
                                   "; run the same PeerStore release on every node");
  if (a.size() < kHelloCore) return fail(Errc::corrupt, "hello without a cipher offer");
  PS_ASSIGN(uint64_t peer_offer, mp::get_u64(a[3]));
  uint64_t common = offer_ & peer_offer;
  if (common & kOfferAes256Gcm)
    record_suite_ = AeadSuite::aes256_gcm;
  else if (common & kOfferChaCha20Poly1305)
    record_suite_ = AeadSuite::chacha20_poly1305;
  else
    return fail(Errc::corrupt, "the peer offers no record cipher this node runs");
  PS_ASSIGN(ByteView peer_bytes, mp::get_bin(a[2]));
  PS_ASSIGN(Id256 peer_eph, Id256::from(peer_bytes));
  if (!credentials_ || credentials_->network_secret.size() != PeerCredentials::kNetworkSecretSize)
    return fail(Errc::invalid, "no network secret to connect with");

  const Id256& dialer_eph = dialer_ ? ephemeral_pk_ : peer_eph;
  const Id256& acceptor_eph = dialer_ ? peer_eph : ephemeral_pk_;
  crypto_generichash_state h;
  crypto_generichash_init(&h, nullptr, 0, transcript_.b.size());
  crypto_generichash_update(&h, sv_bytes(kTranscriptLabel).data(), kTranscriptLabel.size());
  crypto_generichash_update(&h, dialer_eph.b.data(), dialer_eph.b.size());
  crypto_generichash_update(&h, acceptor_eph.b.data(), acceptor_eph.b.size());
  auto dialer_offer = le64(dialer_ ? offer_ : peer_offer);
  auto acceptor_offer = le64(dialer_ ? peer_offer : offer_);
  crypto_generichash_update(&h, dialer_offer.data(), dialer_offer.size());
  crypto_generichash_update(&h, acceptor_offer.data(), acceptor_offer.size());
  crypto_generichash_final(&h, transcript_.b.data(), transcript_.b.size());

  Secret shared(crypto_scalarmult_BYTES);
  // Fails for low-order points, which would make the shared secret predictable.
  if (crypto_scalarmult(shared.data(), ephemeral_sk_.data(), peer_eph.b.data()) != 0)
    return fail(Errc::corrupt, "hello with a degenerate key");
  ephemeral_sk_ = Secret();  // forward secrecy: gone as soon as it has served

  const Secret& psk = credentials_->network_secret;
  master_ = Secret(crypto_kdf_KEYBYTES);
  crypto_generichash_init(&h, psk.data(), psk.size(), master_.size());
  crypto_generichash_update(&h, shared.data(), shared.size());
  crypto_generichash_update(&h, transcript_.b.data(), transcript_.b.size());
  crypto_generichash_final(&h, master_.data(), master_.size());
  sodium_memzero(&h, sizeof h);

  // The auth frame: who we are, sealed so only network members learn it.
  Signature sig = credentials_->device.sign(signed_part(dialer_, transcript_, own_listen_));
  mp::Buffer buf;
  mp::Packer p(buf);
  p.pack_array(3);
  mp::pack_bin(p, credentials_->device.public_key().view());
  p.pack(own_listen_);
  mp::pack_bin(p, ByteView(sig.data(), sig.size()));
  Bytes auth(buf.size() + AeadFrameFilter::kTagSize);
  Secret key = subkey(master_, dialer_ ? kAuthFromDialer : kAuthFromAcceptor);
  crypto_aead_chacha20poly1305_ietf_encrypt(
      auth.data(), nullptr, reinterpret_cast<const uint8_t*>(buf.data()), buf.size(),
      transcript_.b.data(), transcript_.b.size(), nullptr, kAuthNonce.data(), key.data());

  state_ = State::auth;
  Step step;
  step.reply.push_back(std::move(auth));
  return step;
}

Result<Handshake::Auth> Handshake::decode_auth(ByteView plain) {
  mp::Limits limits;
  limits.array = 3;
  limits.map = 0;
  limits.str = kMaxAddressSize;
  limits.bin = 64;
  limits.depth = 2;
  PS_ASSIGN(auto oh, mp::unpack(plain, limits));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 3, 3));
  Auth auth;
  PS_ASSIGN(ByteView device_bytes, mp::get_bin(a[0]));
  PS_ASSIGN(auth.device, Id256::from(device_bytes));
  if (a[1].type != msgpack::type::STR) return fail(Errc::corrupt, "auth without an address");
  auth.listen = a[1].as<std::string>();
  if (!auth.listen.empty()) {
    if (auth.listen.starts_with(kClientAddressPrefix))
      return fail(Errc::corrupt, "auth claims a reserved address");
    if (auto hp = HostPort::parse(auth.listen); !hp)
      return fail(Errc::corrupt, "auth with a bad listen address");
  }
  PS_ASSIGN(auth.signature, mp::get_bin(a[2]));
  if (auth.signature.size() != sizeof(Signature)) return fail(Errc::corrupt, "auth signature size");
  return auth;
}

Result<Handshake::Step> Handshake::on_auth(ByteView frame) {
  if (frame.size() < AeadFrameFilter::kTagSize || frame.size() > kMaxAuthFrame)
    return fail(Errc::corrupt, "auth frame of " + std::to_string(frame.size()) + " bytes");
  Bytes plain(frame.size() - AeadFrameFilter::kTagSize);
  Secret key = subkey(master_, dialer_ ? kAuthFromAcceptor : kAuthFromDialer);
  if (crypto_aead_chacha20poly1305_ietf_decrypt(
          plain.data(), nullptr, nullptr, frame.data(), frame.size(), transcript_.b.data(),
          transcript_.b.size(), kAuthNonce.data(), key.data()) != 0)
    return fail(Errc::permission, kNotAdmitted);

  // From here the peer holds the network secret; what it says is still checked.
  PS_ASSIGN(Auth auth, decode_auth(plain));
  std::string listen = std::move(auth.listen);
  PublicKey device = auth.device;
  if (!verify_signature(device, signed_part(!dialer_, transcript_, listen), auth.signature))
    return fail(Errc::permission, "the peer's device signature does not verify");

  Secret to_peer = subkey(master_, dialer_ ? kTrafficFromDialer : kTrafficFromAcceptor);
  Secret from_peer = subkey(master_, dialer_ ? kTrafficFromAcceptor : kTrafficFromDialer);
  master_ = Secret();
  state_ = State::done;
  Step step;
  step.done = Outcome{
      std::move(listen), device, node_id_for(device), record_suite_,
      std::make_unique<AeadFrameFilter>(record_suite_, std::move(to_peer), std::move(from_peer))};
  return step;
}

}  // namespace peerstore
