#include "keys/grant.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "common/msgpack_codec.h"

namespace peerstore {
namespace {

constexpr std::string_view kSignContext = "peerstore grant 1";
constexpr std::string_view kSlotContext = "peerstore grant slot";
constexpr size_t kKey = 32;
// Sealed content: the fixed fields, a folder name, msgpack headers; then the box's overhead.
constexpr size_t kMaxContent = 512;
constexpr size_t kMaxSealed = kMaxContent + crypto_box_SEALBYTES;

void pack_secret(mp::Packer& pk, const Secret& s) {
  mp::pack_bin(pk, ByteView(s.data(), s.size()));
}

Result<Id256> id_field(const mp::Object& o) {
  PS_ASSIGN(auto b, mp::get_bin(o));
  return Id256::from(b);
}

Result<Secret> key_field(const mp::Object& o) {
  PS_ASSIGN(auto b, mp::get_bin(o));
  if (b.size() != kKey) return fail(Errc::corrupt, "grant key of the wrong size");
  return Secret(b);
}

void pack_envelope(mp::Packer& pk, const Grant& g, bool with_signature) {
  pk.pack_array(with_signature ? 8 : 7);
  pk.pack(uint32_t(1));
  mp::pack_bin(pk, g.recipient.view());
  mp::pack_bin(pk, g.grantor.view());
  mp::pack_bin(pk, g.slot.view());
  pk.pack(g.epoch);
  pk.pack(g.time_ns);
  mp::pack_bin(pk, g.sealed);
  if (with_signature) mp::pack_bin(pk, ByteView(g.signature.data(), g.signature.size()));
}

// The X25519 key pair of a user's Ed25519 key (libsodium's conversion): a grant is a sealed
// box to the recipient's user key, so nobody needs to publish a second key.
Result<Id256> box_public_key(const PublicKey& pk) {
  Id256 out;
  if (crypto_sign_ed25519_pk_to_curve25519(out.b.data(), pk.b.data()) != 0)
    return fail(Errc::invalid, "not a user's public key");
  return out;
}

Secret box_secret_key(const SigningKey& key) {
  Secret ed_sk(crypto_sign_SECRETKEYBYTES);
  uint8_t pk[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_seed_keypair(pk, ed_sk.data(), key.seed().data());
  Secret out(crypto_box_SECRETKEYBYTES);
  crypto_sign_ed25519_sk_to_curve25519(out.data(), ed_sk.data());
  return out;
}

Grant sign(const SigningKey& grantor, Grant g) {
  g.grantor = grantor.public_key();
  g.signature = grantor.sign(g.signed_part());
  return g;
}

}  // namespace

Status GrantContent::check_folder(std::string_view name) {
  if (name.empty() || name == "." || name == "..")
    return fail(Errc::invalid,
                "a shared folder needs a name other than '" + std::string(name) + "'");
  if (name.size() > kMaxFolderName)
    return fail(Errc::invalid, "the folder name is longer than 255 bytes: rename the folder");
  if (name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos)
    return fail(Errc::invalid, "a folder name cannot hold '/' or NUL");
  return {};
}

Result<VolumeKeys> GrantContent::writer_keys() const {
  if (!signing_seed) return fail(Errc::permission, "this share is read-only");
  SigningKey signer = SigningKey::from_seed(*signing_seed);
  if (signer.public_key() != volume)
    return fail(Errc::corrupt, "the grant's signing key is not its volume's");
  return VolumeKeys{std::move(signer), read_key.clone(), convergence.clone()};
}

Bytes GrantContent::encode() const {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(11);
  pk.pack(uint32_t(1));
  mp::pack_bin(pk, volume.view());
  pack_secret(pk, read_key);
  pack_secret(pk, convergence);
  if (signing_seed)
    pack_secret(pk, *signing_seed);
  else
    pk.pack_nil();
  pk.pack(folder);
  mp::pack_bin(pk, grantor.view());
  mp::pack_bin(pk, recipient.view());
  mp::pack_bin(pk, lineage.view());
  pk.pack(epoch);
  pk.pack(time_ns);
  Bytes out = mp::to_bytes(buf);
  sodium_memzero(buf.data(), buf.size());
  return out;
}

Result<GrantContent> GrantContent::decode(ByteView bytes) {
  if (bytes.size() > kMaxContent) return fail(Errc::corrupt, "grant content too large");
  const mp::Limits lim{.array = 11, .map = 0, .str = kMaxFolderName, .bin = kKey, .depth = 2};
  PS_ASSIGN(auto oh, mp::unpack(bytes, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 11, 11));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != 1)
    return fail(Errc::corrupt, "grant content of unknown version " + std::to_string(version));
  GrantContent c;
  PS_ASSIGN(c.volume, id_field(a[1]));
  PS_ASSIGN(c.read_key, key_field(a[2]));
  PS_ASSIGN(c.convergence, key_field(a[3]));
  if (!mp::is_nil(a[4])) {
    PS_ASSIGN(auto seed, key_field(a[4]));
    c.signing_seed = std::move(seed);
  }
  if (a[5].type != msgpack::type::STR) return fail(Errc::corrupt, "grant folder is no string");
  c.folder.assign(a[5].via.str.ptr, a[5].via.str.size);
  if (auto st = check_folder(c.folder); !st) return fail(Errc::corrupt, st.error().context);
  PS_ASSIGN(c.grantor, id_field(a[6]));
  PS_ASSIGN(c.recipient, id_field(a[7]));
  PS_ASSIGN(c.lineage, id_field(a[8]));
  PS_ASSIGN(c.epoch, mp::get_u64(a[9]));
  PS_ASSIGN(c.time_ns, mp::get_i64(a[10]));
  return c;
}

Bytes Grant::encode() const {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pack_envelope(pk, *this, true);
  return mp::to_bytes(buf);
}

Bytes Grant::signed_part() const {
  mp::Buffer buf;
  buf.write(kSignContext.data(), kSignContext.size());
  mp::Packer pk(buf);
  pack_envelope(pk, *this, false);
  return mp::to_bytes(buf);
}

Id256 Grant::hash() const {
  Bytes e = encode();
  Id256 id;
  crypto_generichash(id.b.data(), id.b.size(), e.data(), e.size(), nullptr, 0);
  return id;
}

bool Grant::verify() const {
  return verify_signature(grantor, signed_part(), signature);
}

Result<Grant> Grant::decode(ByteView bytes) {
  if (bytes.size() > kMaxEncoded) return fail(Errc::corrupt, "grant larger than 4 KiB");
  const mp::Limits lim{.array = 8, .map = 0, .str = 0, .bin = kMaxSealed, .depth = 1};
  PS_ASSIGN(auto oh, mp::unpack(bytes, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 8, 8));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != 1)
    return fail(Errc::corrupt, "grant of unknown version " + std::to_string(version));
  Grant g;
  PS_ASSIGN(g.recipient, id_field(a[1]));
  PS_ASSIGN(g.grantor, id_field(a[2]));
  PS_ASSIGN(g.slot, id_field(a[3]));
  PS_ASSIGN(g.epoch, mp::get_u64(a[4]));
  PS_ASSIGN(g.time_ns, mp::get_i64(a[5]));
  PS_ASSIGN(auto sealed, mp::get_bin(a[6]));
  if (!sealed.empty() && sealed.size() <= crypto_box_SEALBYTES)
    return fail(Errc::corrupt, "grant sealed content too short");
  g.sealed.assign(sealed.begin(), sealed.end());
  PS_ASSIGN(auto sig, mp::get_bin(a[7]));
  if (sig.size() != g.signature.size()) return fail(Errc::corrupt, "grant signature size");
  std::copy(sig.begin(), sig.end(), g.signature.begin());
  return g;
}

Id256 Grant::slot_for(const SigningKey& grantor, const Id256& lineage, const PublicKey& recipient) {
  // Keyed with a hash of the grantor's seed under its own context, so the slot key is no other
  // key of theirs; a storage node cannot tell which volume a slot stands for.
  uint8_t key[crypto_generichash_KEYBYTES];
  crypto_generichash(key, sizeof key, grantor.seed().data(), grantor.seed().size(),
                     reinterpret_cast<const uint8_t*>(kSlotContext.data()), kSlotContext.size());
  Id256 slot;
  crypto_generichash_state st;
  crypto_generichash_init(&st, key, sizeof key, slot.b.size());
  crypto_generichash_update(&st, lineage.b.data(), lineage.b.size());
  crypto_generichash_update(&st, recipient.b.data(), recipient.b.size());
  crypto_generichash_final(&st, slot.b.data(), slot.b.size());
  sodium_memzero(key, sizeof key);
  return slot;
}

Result<Grant> Grant::make(const SigningKey& grantor, const GrantContent& content) {
  if (content.grantor != grantor.public_key())
    return fail(Errc::invalid, "a grant's content must name its grantor");
  PS_TRY(GrantContent::check_folder(content.folder));
  if (content.read_key.size() != kKey || content.convergence.size() != kKey ||
      (content.signing_seed && content.signing_seed->size() != kKey))
    return fail(Errc::invalid, "a grant's keys must be 32 bytes");
  PS_ASSIGN(auto box_pk, box_public_key(content.recipient));
  Bytes plain = content.encode();
  if (plain.size() > kMaxContent) {
    sodium_memzero(plain.data(), plain.size());
    return fail(Errc::invalid, "grant content too large");
  }
  Grant g;
  g.recipient = content.recipient;
  g.slot = slot_for(grantor, content.lineage, content.recipient);
  g.epoch = content.epoch;
  g.time_ns = content.time_ns;
  g.sealed.resize(plain.size() + crypto_box_SEALBYTES);
  crypto_box_seal(g.sealed.data(), plain.data(), plain.size(), box_pk.b.data());
  sodium_memzero(plain.data(), plain.size());
  return sign(grantor, std::move(g));
}

Grant Grant::withdraw(const SigningKey& grantor, const PublicKey& recipient, const Id256& lineage,
                      uint64_t epoch, int64_t time_ns) {
  Grant g;
  g.recipient = recipient;
  g.slot = slot_for(grantor, lineage, recipient);
  g.epoch = epoch;
  g.time_ns = time_ns;
  return sign(grantor, std::move(g));
}

Result<GrantContent> Grant::open(const SigningKey& recipient_key) const {
  if (recipient_key.public_key() != recipient)
    return fail(Errc::invalid, "this grant is addressed to another user");
  if (!verify()) return fail(Errc::corrupt, "grant signature does not verify");
  if (withdrawn()) return fail(Errc::not_found, "the grantor withdrew this share");
  if (sealed.size() <= crypto_box_SEALBYTES || sealed.size() > kMaxSealed)
    return fail(Errc::corrupt, "grant sealed content of a bad size");
  PS_ASSIGN(auto box_pk, box_public_key(recipient));
  Secret box_sk = box_secret_key(recipient_key);
  Secret plain(sealed.size() - crypto_box_SEALBYTES);
  if (crypto_box_seal_open(plain.data(), sealed.data(), sealed.size(), box_pk.b.data(),
                           box_sk.data()) != 0)
    return fail(Errc::corrupt, "grant does not open with this user's key");
  PS_ASSIGN(auto c, GrantContent::decode(ByteView(plain.data(), plain.size())));
  // The sealed box is anonymous: only these checks tie what it holds to the signed envelope,
  // so that nobody can re-sign another grantor's content as their own or move it in time.
  if (c.grantor != grantor || c.recipient != recipient || c.epoch != epoch || c.time_ns != time_ns)
    return fail(Errc::corrupt, "grant content does not match its envelope");
  return c;
}

}  // namespace peerstore
