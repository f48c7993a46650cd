// msgpack encoding of optional block pointers inside tree nodes and records: bin(64) (suite 1),
// bin(65) (suite 2) or nil. Stateless; thread-safe.
#pragma once

#include <optional>

#include "common/msgpack_codec.h"
#include "keys/block_cipher.h"

namespace peerstore {

inline void pack_ptr(mp::Packer& pk, const std::optional<BlockPtr>& p) {
  if (!p) {
    pk.pack_nil();
    return;
  }
  uint8_t enc[BlockPtr::kMaxEncodedSize];
  p->encode_to(enc);
  mp::pack_bin(pk, ByteView(enc, p->encoded_size()));
}

inline Result<std::optional<BlockPtr>> get_ptr(const mp::Object& o) {
  if (mp::is_nil(o)) return std::optional<BlockPtr>();
  PS_ASSIGN(auto b, mp::get_bin(o));
  PS_ASSIGN(auto p, BlockPtr::decode(b));
  return std::optional<BlockPtr>(p);
}

}  // namespace peerstore
