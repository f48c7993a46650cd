// Grant: how one user gives another the keys of a shared folder (docs/sharing.md, Grants travel
// through inboxes). Two layers:
// - GrantContent, what the recipient reads: the volume's keys (the signing key only for a
//   read-write member), the folder's name, the grantor, the time, and the volume's lineage and
//   epoch (a revoke rotates the volume to new keys and a new id: the lineage stays, the epoch
//   grows, so a replayed grant of an older epoch is recognised and ignored);
// - Grant, what storage nodes keep in the recipient's inbox: the content sealed to the
//   recipient (an X25519 sealed box to the key converted from their Ed25519 user key), under an
//   envelope signed by the grantor. The envelope shows storage nodes who sent it to whom, when,
//   and a slot (a keyed hash of the lineage and the recipient, computable only by the grantor's
//   own computers), never a key or the volume. A grant with nothing sealed withdraws the slot.
// Wire format (msgpack), the signature over the same array without its last element, prefixed
// with the context string "peerstore grant 1":
//   [1, recipient(bin32), grantor(bin32), slot(bin32), epoch, time_ns, sealed(bin), sig(bin64)]
// Sealed content: [1, volume(bin32), read_key(bin32), convergence(bin32), signing_seed(bin32|nil),
//   folder(str), grantor(bin32), recipient(bin32), lineage(bin32), epoch, time_ns]
// Decoders take untrusted bytes: sizes capped before allocation, Errc::corrupt on anything
// malformed, never a crash. Value types; not synchronized.
#pragma once

#include <optional>
#include <string>

#include "keys/volume_keys.h"

namespace peerstore {

struct GrantContent {
  static constexpr size_t kMaxFolderName = 255;

  VolumeId volume;
  Secret read_key;                     // 32 bytes
  Secret convergence;                  // 32 bytes
  std::optional<Secret> signing_seed;  // 32 bytes, for a read-write member only
  std::string folder;                  // a name, not a path: no '/', no NUL, not "." or ".."
  PublicKey grantor;
  PublicKey recipient;
  Id256 lineage;  // the id of the volume's first epoch
  uint64_t epoch = 0;
  int64_t time_ns = 0;

  bool writable() const { return signing_seed.has_value(); }
  // A read-write member's keys of the volume: Errc::permission for a read-only grant,
  // Errc::corrupt when the signing seed does not make the volume's key.
  Result<VolumeKeys> writer_keys() const;

  Bytes encode() const;  // holds keys: wipe the result after use
  static Result<GrantContent> decode(ByteView bytes);
  // Errc::invalid with a message for people when `name` is no folder name.
  static Status check_folder(std::string_view name);
};

struct Grant {
  static constexpr size_t kMaxEncoded = 4096;  // what a storage node accepts, envelope included

  PublicKey recipient;
  PublicKey grantor;
  Id256 slot;
  uint64_t epoch = 0;
  int64_t time_ns = 0;
  Bytes sealed;  // empty: the grantor withdrew the slot
  Signature signature{};

  bool withdrawn() const { return sealed.empty(); }
  Bytes encode() const;
  Bytes signed_part() const;
  Id256 hash() const;   // BLAKE2b-256 of encode()
  bool verify() const;  // signature by the grantor

  // Decodes without verifying; Errc::corrupt on anything malformed or over kMaxEncoded.
  static Result<Grant> decode(ByteView bytes);

  // The slot a grantor's grants of `lineage` to `recipient` occupy: the same on each of the
  // grantor's computers (it derives from their user key), meaningless to anyone else.
  static Id256 slot_for(const SigningKey& grantor, const Id256& lineage,
                        const PublicKey& recipient);
  // Seals `content` to content.recipient and signs. Errc::invalid when content.grantor is not
  // `grantor`'s key, the folder name is bad, or the encoding would exceed kMaxEncoded.
  static Result<Grant> make(const SigningKey& grantor, const GrantContent& content);
  // An empty grant in the slot: the recipient's mounts drop the share (a revoke, or a grant
  // made by mistake).
  static Grant withdraw(const SigningKey& grantor, const PublicKey& recipient, const Id256& lineage,
                        uint64_t epoch, int64_t time_ns);
  // Verifies the envelope, opens the sealed content with the recipient's key and checks that it
  // matches the envelope (recipient, grantor, epoch, time, slot's owner). Errc::corrupt for a
  // grant that fails any check, Errc::not_found for a withdrawn one, Errc::invalid when
  // `recipient` is not the key it was sealed to.
  Result<GrantContent> open(const SigningKey& recipient) const;
};

}  // namespace peerstore
