// filled_id: an Id256 whose 32 bytes are all `b`, for tests that need a few distinct, readable
// ids (block ids, heads, device keys). Header-only.
#pragma once

#include "common/bytes.h"

namespace peerstore::test {

inline Id256 filled_id(uint8_t b) {
  Id256 id;
  id.b.fill(b);
  return id;
}

}  // namespace peerstore::test
