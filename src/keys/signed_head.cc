#include "keys/signed_head.h"

#include <sodium.h>

#include <algorithm>

#include "common/msgpack_codec.h"

namespace peerstore {
namespace {

constexpr size_t kMaxClock = 4096;
constexpr size_t kMaxParents = 64;
constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;

void pack_fields(mp::Packer& pk, const Head& h, bool with_signature) {
  pk.pack_array(with_signature ? 8 : 7);
  pk.pack(uint32_t(1));
  mp::pack_bin(pk, h.volume.view());
  pk.pack_array(uint32_t(h.clock.size()));
  for (auto& [dev, n] : h.clock) {
    pk.pack_array(2);
    mp::pack_bin(pk, dev.view());
    pk.pack(n);
  }
  pk.pack_array(uint32_t(h.parents.size()));
  for (auto& p : h.parents) mp::pack_bin(pk, p.view());
  mp::pack_bin(pk, h.root_box);
  pk.pack(h.time_ns);
  mp::pack_bin(pk, h.device.view());
  if (with_signature) mp::pack_bin(pk, ByteView(h.signature.data(), h.signature.size()));
}

}  // namespace

Bytes Head::encode() const {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pack_fields(pk, *this, true);
  return mp::to_bytes(buf);
}

Bytes Head::signed_part() const {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pack_fields(pk, *this, false);
  return mp::to_bytes(buf);
}

Id256 Head::hash() const {
  Bytes e = encode();
  Id256 id;
  crypto_generichash(id.b.data(), 32, e.data(), e.size(), nullptr, 0);
  return id;
}

bool Head::verify() const {
  return verify_signature(volume, signed_part(), signature);
}

uint64_t Head::counter_of(const Id256& dev) const {
  for (auto& [d, n] : clock)
    if (d == dev) return n;
  return 0;
}

ClockOrder compare_clocks(const Head& a, const Head& b) {
  bool a_less = false, b_less = false;  // some device where a < b, where b < a
  size_t i = 0, j = 0;
  while (i < a.clock.size() || j < b.clock.size()) {
    uint64_t x = 0, y = 0;
    if (j >= b.clock.size() || (i < a.clock.size() && a.clock[i].first < b.clock[j].first)) {
      x = a.clock[i++].second;
    } else if (i >= a.clock.size() || b.clock[j].first < a.clock[i].first) {
      y = b.clock[j++].second;
    } else {
      x = a.clock[i++].second;
      y = b.clock[j++].second;
    }
    if (x < y) a_less = true;
    if (y < x) b_less = true;
  }
  if (a_less && b_less) return ClockOrder::concurrent;
  if (a_less) return ClockOrder::before;
  if (b_less) return ClockOrder::after;
  return ClockOrder::equal;
}

Result<Head> Head::decode(ByteView bytes) {
  const mp::Limits lim{.array = kMaxClock, .map = 0, .str = 0, .bin = 4096, .depth = 3};
  PS_ASSIGN(auto oh, mp::unpack(bytes, lim));
  PS_ASSIGN(auto a, mp::get_array(oh.get(), 8, 8));
  PS_ASSIGN(auto version, mp::get_u64(a[0]));
  if (version != 1)
    return fail(Errc::corrupt, "head of unknown version " + std::to_string(version));
  Head h;
  PS_ASSIGN(auto vol, mp::get_bin(a[1]));
  PS_ASSIGN(h.volume, Id256::from(vol));
  PS_ASSIGN(auto clock, mp::get_array(a[2], 0, kMaxClock));
  for (auto& e : clock) {
    PS_ASSIGN(auto pair, mp::get_array(e, 2, 2));
    PS_ASSIGN(auto dev, mp::get_bin(pair[0]));
    PS_ASSIGN(auto id, Id256::from(dev));
    PS_ASSIGN(auto n, mp::get_u64(pair[1]));
    if (!h.clock.empty() && !(h.clock.back().first < id))
      return fail(Errc::corrupt, "head clock not sorted");
    h.clock.emplace_back(id, n);
  }
  PS_ASSIGN(auto parents, mp::get_array(a[3], 0, kMaxParents));
  for (auto& p : parents) {
    PS_ASSIGN(auto b, mp::get_bin(p));
    PS_ASSIGN(auto id, Id256::from(b));
    h.parents.push_back(id);
  }
  PS_ASSIGN(auto box, mp::get_bin(a[4]));
  h.root_box.assign(box.begin(), box.end());
  PS_ASSIGN(h.time_ns, mp::get_i64(a[5]));
  PS_ASSIGN(auto dev, mp::get_bin(a[6]));
  PS_ASSIGN(h.device, Id256::from(dev));
  PS_ASSIGN(auto sig, mp::get_bin(a[7]));
  if (sig.size() != h.signature.size()) return fail(Errc::corrupt, "head signature size");
  std::copy(sig.begin(), sig.end(), h.signature.begin());
  return h;
}

Head Head::make(const VolumeKeys& keys, const BlockPtr& root,
                std::vector<std::pair<Id256, uint64_t>> clock, std::vector<Id256> parents,
                const PublicKey& device, int64_t time_ns, bool deterministic) {
  Head h;
  h.volume = keys.id();
  std::sort(clock.begin(), clock.end());
  h.clock = std::move(clock);
  h.parents = std::move(parents);
  uint8_t plain[BlockPtr::kMaxEncodedSize];
  const size_t plain_size = root.encoded_size();
  root.encode_to(plain);
  h.root_box.resize(kNonce + plain_size + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  if (deterministic) {
    crypto_generichash_state st;
    crypto_generichash_init(&st, keys.read_key.data(), keys.read_key.size(), kNonce);
    crypto_generichash_update(&st, plain, plain_size);
    for (auto& p : h.parents) crypto_generichash_update(&st, p.b.data(), p.b.size());
    crypto_generichash_final(&st, h.root_box.data(), kNonce);
  } else {
    randombytes_buf(h.root_box.data(), kNonce);
  }
  unsigned long long n = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(h.root_box.data() + kNonce, &n, plain, plain_size,
                                             h.volume.b.data(), h.volume.b.size(), nullptr,
                                             h.root_box.data(), keys.read_key.data());
  sodium_memzero(plain, sizeof plain);
  h.time_ns = time_ns;
  h.device = device;
  h.signature = keys.signer->sign(h.signed_part());  // callers check keys.writable()
  return h;
}

Result<BlockPtr> Head::open_root(const Secret& read_key) const {
  // The root pointer is 64 bytes (block suite 1) or 65 (suite 2); BlockPtr::decode tells which.
  constexpr size_t kBoxOverhead = kNonce + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  uint8_t plain[BlockPtr::kMaxEncodedSize];
  if (root_box.size() < kBoxOverhead + 64 || root_box.size() > kBoxOverhead + sizeof plain)
    return fail(Errc::corrupt, "head root of wrong size");
  const size_t plain_size = root_box.size() - kBoxOverhead;
  unsigned long long n = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain, &n, nullptr, root_box.data() + kNonce, root_box.size() - kNonce, volume.b.data(),
          volume.b.size(), root_box.data(), read_key.data()) != 0)
    return fail(Errc::corrupt, "head root does not decrypt with this volume's read key");
  auto p = BlockPtr::decode(ByteView(plain, plain_size));
  sodium_memzero(plain, sizeof plain);
  return p;
}

}  // namespace peerstore
