// Head: the one mutable record of a volume: its version vector, parents, the encrypted root
// pointer, and the volume key's signature over all of it. Wire/disk format (msgpack):
//   [1, volume(bin32), [[device(bin32), counter], ...], [parent(bin32), ...],
//    root_box(bin), time_ns, device(bin32), signature(bin64)]
// The signature covers the same array without its last element. Value type; not synchronized.
#pragma once

#include <vector>

#include "keys/block_cipher.h"
#include "keys/volume_keys.h"

namespace peerstore {

struct Head {
  VolumeId volume;
  std::vector<std::pair<Id256, uint64_t>> clock;  // sorted by device
  std::vector<Id256> parents;
  Bytes root_box;  // nonce || XChaCha20-Poly1305(read key, encoded root BlockPtr)
  int64_t time_ns = 0;
  PublicKey device;
  Signature signature{};

  Bytes encode() const;
  Bytes signed_part() const;
  Id256 hash() const;  // BLAKE2b-256 of encode(): how children name their parents
  bool verify() const;  // signature by the volume key
  uint64_t counter_of(const Id256& device) const;

  // Decodes without verifying; Errc::corrupt on anything malformed.
  static Result<Head> decode(ByteView bytes);
  // Builds and signs a head pointing at `root`. With `deterministic`, the root box's nonce is a
  // keyed hash (read key) of the root and the parents instead of random, so every computer
  // that makes the same merge makes the same head, byte for byte (Ed25519 signatures are
  // deterministic); a nonce repeats only for the same root and parents, which reveals nothing.
  static Head make(const VolumeKeys& keys, const BlockPtr& root,
                   std::vector<std::pair<Id256, uint64_t>> clock, std::vector<Id256> parents,
                   const PublicKey& device, int64_t time_ns, bool deterministic = false);
  Result<BlockPtr> open_root(const Secret& read_key) const;
};

enum class ClockOrder { equal, before, after, concurrent };
// before: a's clock <= b's in every device and differs (b dominates a).
ClockOrder compare_clocks(const Head& a, const Head& b);

}  // namespace peerstore
