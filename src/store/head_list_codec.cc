// The heads record of LmdbStore (see head_list_codec.h).
#include "store/head_list_codec.h"

#include "common/msgpack_codec.h"
#include "store/block_store.h"
#include "store/head_store.h"

namespace peerstore {

Bytes encode_head_list(const std::vector<Bytes>& heads) {
  mp::Buffer buf;
  mp::Packer pk(buf);
  pk.pack_array(uint32_t(heads.size()));
  for (auto& h : heads) mp::pack_bin(pk, h);
  return mp::to_bytes(buf);
}

Result<std::vector<Bytes>> decode_head_list(ByteView record) {
  // One flat array of bins: the parser refuses anything else before it allocates for it. The
  // store does not know the DHT's head size cap, so a head is capped at a block's size.
  const mp::Limits lim{
      .array = kMaxHeadsPerVolume, .map = 0, .str = 0, .bin = kMaxBlockSize, .depth = 1};
  PS_ASSIGN(auto oh, mp::unpack(record, lim));
  PS_ASSIGN(auto arr, mp::get_array(oh.get(), 0, kMaxHeadsPerVolume));
  std::vector<Bytes> out;
  out.reserve(arr.size());
  for (auto& o : arr) {
    PS_ASSIGN(auto b, mp::get_bin(o));
    out.emplace_back(b.begin(), b.end());
  }
  return out;
}

}  // namespace peerstore
