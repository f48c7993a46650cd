// msgpack encoding of optional block pointers inside tree nodes and records: bin(64) or nil.
// Stateless; thread-safe.
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
  uint8_t enc[BlockPtr::kEncodedSize];
  p->encode_to(enc);
  mp::pack_bin(pk, ByteView(enc, sizeof enc));
}

inline Result<std::optional<BlockPtr>> get_ptr(const mp::Object& o) {
  if (mp::is_nil(o)) return std::optional<BlockPtr>();
  PS_ASSIGN(auto b, mp::get_bin(o));
  PS_ASSIGN(auto p, BlockPtr::decode(b));
  return std::optional<BlockPtr>(p);
}

}  // namespace peerstore
