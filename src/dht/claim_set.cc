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

bool ClaimSet::merge(const ClaimSet& other, int64_t now_ms) {
  bool changed = false;
  for (const Claim& c : other.claims_) {
    if (c.cancelled()) {
      changed = cancel(*c.secret, now_ms) || changed;
      if (c.number != 0) add(c.tag, c.number, now_ms);  // records the number on the tombstone
    } else {
      changed = add(c.tag, c.number, now_ms) == Added::added || changed;
    }
  }
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

Bytes ClaimSet::encode() const {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(2);
  pk.pack(uint32_t(1));
  pk.pack_array(uint32_t(claims_.size()));
  for (const Claim& c : claims_) {
    pk.pack_array(4);
    mp::pack_bin(pk, c.tag.view());
    pk.pack(c.number);
    if (c.secret)
      mp::pack_bin(pk, c.secret->view());
    else
      pk.pack_nil();
    pk.pack(c.time_ms);
  }
  return mp::to_bytes(buf);
}

Result<ClaimSet> ClaimSet::decode(ByteView bytes) {
  const mp::Limits lim{.array = kMaxClaims, .map = 0, .str = 0, .bin = 32, .depth = 3};
  PS_ASSIGN(auto oh, mp::unpack(bytes, lim));
  PS_ASSIGN(auto top, mp::get_array(oh.get(), 2, 2));
  PS_ASSIGN(uint64_t version, mp::get_u64(top[0]));
  if (version != 1) return fail(Errc::corrupt, "claims of an unknown version");
  PS_ASSIGN(auto list, mp::get_array(top[1], 0, kMaxClaims));
  ClaimSet set;
  set.claims_.reserve(list.size());
  for (const mp::Object& o : list) {
    PS_ASSIGN(auto f, mp::get_array(o, 4, 4));
    PS_ASSIGN(ByteView tag_bytes, mp::get_bin(f[0]));
    PS_ASSIGN(Id256 tag, Id256::from(tag_bytes));
    PS_ASSIGN(uint64_t number, mp::get_u64(f[1]));
    if (number > UINT32_MAX) return fail(Errc::corrupt, "a claim number out of range");
    Claim c{tag, uint32_t(number), std::nullopt, 0};
    if (!mp::is_nil(f[2])) {
      PS_ASSIGN(ByteView secret_bytes, mp::get_bin(f[2]));
      PS_ASSIGN(Id256 secret, Id256::from(secret_bytes));
      if (claim_tag(secret) != tag) return fail(Errc::corrupt, "a cancel that is not its claim's");
      c.secret = secret;
    }
    PS_ASSIGN(c.time_ms, mp::get_i64(f[3]));
    if (!set.claims_.empty() && !(set.claims_.back().tag < tag))
      return fail(Errc::corrupt, "claims not sorted by tag");
    set.claims_.push_back(c);
  }
  return set;
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
