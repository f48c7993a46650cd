// HeadSet: the heads of one volume that no other head dominates in version-vector order, the
// set a storage node keeps at the volume's DHT key BLAKE2b("head" || volume public key). It
// accepts only heads of its volume whose signature verifies. Value type; not synchronized.
#pragma once

#include <vector>

#include "dht/message.h"
#include "keys/signed_head.h"

namespace peerstore {

class HeadSet {
 public:
  explicit HeadSet(const VolumeId& volume) : volume_(volume) {}

  static Id256 key_for(const VolumeId& volume);
  // Decodes and verifies one head of `volume`; Errc::corrupt for bad bytes, another volume or a
  // signature that does not verify.
  static Result<Head> check(const VolumeId& volume, ByteView encoded);

  // Adds a checked head unless the set holds it or a head that dominates it, and drops the heads
  // it dominates. True if the set changed.
  bool add(const Head& head);
  // Adds encoded heads that were checked before (a node's own store); skips undecodable ones.
  void add_trusted(const std::vector<Bytes>& encoded);

  const VolumeId& volume() const { return volume_; }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  // Encoded heads, sorted by head hash (a canonical order).
  std::vector<Bytes> encoded() const;
  // Identifies the set's content: BLAKE2b over the sorted head hashes.
  Id256 digest() const;

 private:
  struct Item {
    Id256 hash;
    Head head;
    Bytes bytes;
  };
  VolumeId volume_;
  std::vector<Item> items_;  // sorted by hash
};

}  // namespace peerstore
