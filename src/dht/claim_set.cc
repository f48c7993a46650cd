#include "dht/claim_set.h"

#include <sodium.h>

#include <algorithm>

#include "common/msgpack_codec.h"

namespace peerstore {

std::vector<Claim>::iterator ClaimSet::find(const Id256& tag) {
  return std::lower_bound(claims_.begin(), claims_.end(), tag,
                          [](const Claim& c, const Id256& t) { return c.tag < t; });
}

bool ClaimSet::make_room() {
  if (claims_.size() < kMaxClaims) return true;
  auto oldest = claims_.end();
  for (auto it = claims_.begin(); it != claims_.end(); ++it)
    if (it->cancelled() && (oldest == claims_.end() || it->time_ms < oldest->time_ms)) oldest = it;
  if (oldest == claims_.end()) return false;
  claims_.erase(oldest);
  return true;
}

ClaimSet::Added ClaimSet::add(const Id256& tag, uint32_t number, int64_t now_ms) {
  auto it = find(tag);
  if (it != claims_.end() && it->tag == tag) {
    if (it->number == 0) it->number = number;  // a tombstone learns its claim's number
    return it->cancelled() ? Added::cancelled_before : Added::known;
  }
  if (!make_room()) return Added::full;
  claims_.insert(find(tag), Claim{tag, number, std::nullopt, now_ms});
  return Added::added;
}

bool ClaimSet::cancel(const Id256& secret, int64_t now_ms) {
  Id256 tag = claim_tag(secret);
  auto it = find(tag);
  if (it != claims_.end() && it->tag == tag) {
    if (it->cancelled()) return false;
    it->secret = secret;
    it->time_ms = now_ms;
    return true;
  }
  if (!make_room()) return false;
  claims_.insert(find(tag), Claim{tag, 0, secret, now_ms});
  return true;
}

bool ClaimSet::merge(const Claim& c, int64_t now_ms) {
  if (!c.cancelled()) return add(c.tag, c.number, now_ms) == Added::added;
  bool changed = cancel(*c.secret, now_ms);
  if (c.number != 0) add(c.tag, c.number, now_ms);  // records the number on the tombstone
  return changed;
}

bool ClaimSet::merge(const ClaimSet& other, int64_t now_ms) {
  bool changed = false;
  for (const Claim& c : other.claims_) changed = merge(c, now_ms) || changed;
  return changed;
}

bool ClaimSet::releasable(int64_t now_ms, int64_t grace_ms) const {
  if (claims_.empty()) return false;
  int64_t last = 0;
  for (const Claim& c : claims_) {
    if (!c.cancelled()) return false;
    last = std::max(last, c.time_ms);
  }
  return now_ms - last >= grace_ms;
}

size_t ClaimSet::live() const {
  return size_t(
      std::count_if(claims_.begin(), claims_.end(), [](const Claim& c) { return !c.cancelled(); }));
}

Bytes ClaimSet::encode_claim(const Claim& c) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(4);
  pk.pack(uint32_t(1));
  mp::pack_bin(pk, c.tag.view());
  pk.pack(c.number);
  if (c.secret)
    mp::pack_bin(pk, c.secret->view());
  else
    pk.pack_nil();
  return mp::to_bytes(buf);
}

Result<Claim> ClaimSet::decode_claim(ByteView bytes) {
  const mp::Limits lim{.array = 4, .map = 0, .str = 0, .bin = 32, .depth = 1};
  PS_ASSIGN(auto oh, mp::unpack(bytes, lim));
  PS_ASSIGN(auto f, mp::get_array(oh.get(), 4, 4));
  PS_ASSIGN(uint64_t version, mp::get_u64(f[0]));
  if (version != 1) return fail(Errc::corrupt, "a claim of an unknown version");
  PS_ASSIGN(ByteView tag_bytes, mp::get_bin(f[1]));
  PS_ASSIGN(Id256 tag, Id256::from(tag_bytes));
  PS_ASSIGN(uint64_t number, mp::get_u64(f[2]));
  if (number > UINT32_MAX) return fail(Errc::corrupt, "a claim number out of range");
  Claim c{tag, uint32_t(number), std::nullopt, 0};
  if (!mp::is_nil(f[3])) {
    PS_ASSIGN(ByteView secret_bytes, mp::get_bin(f[3]));
    PS_ASSIGN(Id256 secret, Id256::from(secret_bytes));
    if (claim_tag(secret) != tag) return fail(Errc::corrupt, "a cancel that is not its claim's");
    c.secret = secret;
  }
  return c;
}

std::vector<Bytes> ClaimSet::encoded() const {
  std::vector<Bytes> out;
  out.reserve(claims_.size());
  for (const Claim& c : claims_) out.push_back(encode_claim(c));
  return out;
}

void ClaimSet::add_trusted(const std::vector<Bytes>& records) {
  for (const Bytes& r : records)
    if (auto c = decode_claim(r)) merge(*c, 0);
}

Id256 ClaimSet::digest() const {
  Id256 d;
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, d.b.size());
  for (const Claim& c : claims_) {
    uint8_t cancelled = c.cancelled() ? 1 : 0;
    crypto_generichash_update(&st, c.tag.b.data(), c.tag.b.size());
    crypto_generichash_update(&st, &cancelled, 1);
  }
  crypto_generichash_final(&st, d.b.data(), d.b.size());
  return d;
}

}  // namespace peerstore
