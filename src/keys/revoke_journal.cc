#include "keys/revoke_journal.h"

namespace peerstore {

Bytes RevokeJournal::encode() const {
  Bytes b;
  b.reserve(kEncoded);
  b.push_back(1);
  b.push_back(stage);
  b.insert(b.end(), device.b.begin(), device.b.end());
  b.insert(b.end(), revoked.b.begin(), revoked.b.end());
  uint8_t ino[8];
  put_u64be(ino, old_link);
  b.insert(b.end(), ino, ino + 8);
  b.insert(b.end(), nonce.b.begin(), nonce.b.end());
  return b;
}

Result<RevokeJournal> RevokeJournal::decode(ByteView bytes) {
  if (bytes.size() != kEncoded) return fail(Errc::corrupt, "a revoke journal of the wrong size");
  if (bytes[0] != 1) return fail(Errc::corrupt, "a revoke journal of an unknown version");
  if (bytes[1] < copy || bytes[1] > grants)
    return fail(Errc::corrupt, "a revoke journal at an unknown stage");
  RevokeJournal j;
  j.stage = Stage(bytes[1]);
  const uint8_t* p = bytes.data() + 2;
  std::copy(p, p + 32, j.device.b.begin());
  std::copy(p + 32, p + 64, j.revoked.b.begin());
  j.old_link = get_u64be(p + 64);
  std::copy(p + 72, p + 104, j.nonce.b.begin());
  return j;
}

uint64_t RevokeJournal::new_link() const {
  uint64_t ino = get_u64be(nonce.b.data()) & ((uint64_t(1) << 63) - 1);
  return ino <= 1 ? ino + 2 : ino;
}

}  // namespace peerstore
