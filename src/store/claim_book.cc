#include "store/claim_book.h"

#include <algorithm>

namespace peerstore {
namespace {

Bytes key_of(const VolumeId& volume, const BlockId& block) {
  Bytes k(volume.b.begin(), volume.b.end());
  k.insert(k.end(), block.b.begin(), block.b.end());
  return k;
}

}  // namespace

Bytes ClaimBook::encode(const ClaimEntry& e) {
  Bytes out(kEntrySize);
  for (int i = 0; i < 4; ++i) out[size_t(i)] = uint8_t(e.number >> (24 - 8 * i));
  out[4] = uint8_t(e.state);
  return out;
}

Result<ClaimEntry> ClaimBook::decode(ByteView bytes) {
  if (bytes.size() != kEntrySize)
    return fail(Errc::corrupt, "a claim record of " + std::to_string(bytes.size()) + " bytes");
  if (bytes[4] > uint8_t(ClaimState::cancelled))
    return fail(Errc::corrupt, "a claim record in state " + std::to_string(bytes[4]));
  ClaimEntry e;
  for (int i = 0; i < 4; ++i) e.number = (e.number << 8) | bytes[size_t(i)];
  e.state = ClaimState(bytes[4]);
  return e;
}

Result<std::vector<std::optional<ClaimEntry>>> ClaimBook::find(const VolumeId& volume,
                                                               std::span<const BlockId> blocks) {
  std::vector<std::optional<ClaimEntry>> out;
  out.reserve(blocks.size());
  for (auto& b : blocks) {
    PS_ASSIGN(auto raw, table_.get(key_of(volume, b)));
    if (!raw) {
      out.emplace_back();
      continue;
    }
    auto e = decode(*raw);
    if (!e.ok())
      return fail(Errc::corrupt, "claim of block " + b.short_hex() + ": " + e.error().context);
    out.emplace_back(*e);
  }
  return out;
}

Status ClaimBook::record(const VolumeId& volume,
                         std::span<const std::pair<BlockId, ClaimEntry>> entries) {
  std::vector<KvTable::Change> changes;
  changes.reserve(entries.size());
  for (auto& [b, e] : entries) changes.emplace_back(key_of(volume, b), encode(e));
  return table_.write(changes);
}

Status ClaimBook::for_each(const VolumeId& volume,
                           const std::function<bool(const BlockId&, const ClaimEntry&)>& fn) {
  Status bad;
  PS_TRY(table_.scan(volume.view(), [&](ByteView key, ByteView value) {
    auto block = Id256::from(key.subspan(std::min(key.size(), VolumeId::kSize)));
    auto e = decode(value);
    if (!block.ok() || !e.ok()) {
      bad = fail(Errc::corrupt, "the claims table holds a record that does not decode");
      return false;
    }
    return fn(*block, *e);
  }));
  return bad;
}

}  // namespace peerstore
