// HeadStore: the mutable records of PeerStore, the signed heads of each volume. A volume may
// have several heads at once (siblings after concurrent writes); the store keeps the set it is
// given. Implementations are thread-safe.
#pragma once

#include <functional>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

using VolumeId = Id256;

// The most heads one volume may have at once; stores refuse larger sets.
inline constexpr size_t kMaxHeadsPerVolume = 1024;

class HeadStore {
 public:
  virtual ~HeadStore() = default;

  // The encoded heads of a volume; empty if none.
  virtual Result<std::vector<Bytes>> heads(const VolumeId& volume) = 0;
  // Replaces the volume's head set, durably.
  virtual Status set_heads(const VolumeId& volume, const std::vector<Bytes>& heads) = 0;
  // Visits every volume that has heads (order unspecified); stops early when fn returns false.
  // A node uses it after a restart to repair the head sets it holds.
  virtual Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) = 0;
};

}  // namespace peerstore
