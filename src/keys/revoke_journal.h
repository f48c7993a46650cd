// RevokeJournal: how far a revoke got (docs/sharing.md, Revoke), so that one killed midway
// finishes or rolls back at the next start. Kept as a hidden attribute of the home root,
// "peerstore.revoke.OLDVOLUME" (hex), committed before each stage begins:
//   1 copy:   the folder's tree is written anew under new keys (a new volume, epoch + 1).
//   2 relink: the copy is complete; next the owner's link moves to the new volume (a new
//             inode at the same name, numbered from the nonce).
//   3 grants: the link moved; new grants to the remaining members, a withdrawal to the
//             revoked user, the grant records moved.
// A restart before the link moved (stage 1 or 2, and no link numbered new_link()) rolls back:
// it drops the journal, and nobody has seen the new volume, the old one is as it was. Once the
// link moved, a restart does the rest of stage 3 again: every step of it is idempotent.
// It holds no key: the new keys are in the new link from stage 3 on. Only the computer that
// began a revoke (`device`) acts on its journal; the user's other computers see it through
// live sync and leave it alone.
// Wire format (106 bytes): version(1) = 1, stage(1), device(32), revoked(32), old_link(8 BE),
// nonce(32). Decoding takes untrusted bytes: Errc::corrupt for anything else.
// Value type; not synchronized.
#pragma once

#include "keys/grant.h"

namespace peerstore {

struct RevokeJournal {
  static constexpr std::string_view kPrefix = "peerstore.revoke.";
  // A hidden attribute of the new volume's root: the hash of the old volume's version that
  // was copied into it. A member's mount that wrote versions after it keeps them in view
  // (host/epoch_switch.h).
  static constexpr std::string_view kCopiedFrom = "peerstore.copied";
  // Beside it: the old volume's link without its signing key (GrantContent), so a computer
  // that opens the new volume can look for versions of its own the copy lacks. Whoever reads
  // the new volume had these keys already; the revoked user cannot read it.
  static constexpr std::string_view kPrevious = "peerstore.previous";
  static constexpr size_t kEncoded = 106;
  enum Stage : uint8_t { copy = 1, relink = 2, grants = 3 };

  Stage stage = copy;
  PublicKey device;
  PublicKey revoked;
  uint64_t old_link = 0;  // the owner's link inode to the old volume, in the home volume
  Id256 nonce;

  Bytes encode() const;
  static Result<RevokeJournal> decode(ByteView bytes);

  // The new link's inode number in the home volume (never the root, below 2^63).
  uint64_t new_link() const;
};

}  // namespace peerstore
