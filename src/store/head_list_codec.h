// The heads record of LmdbStore: one volume's encoded heads as a msgpack array of bins, the
// value of the heads database. Split out of the store so the decoder of these disk bytes can be
// fuzzed without LMDB. Stateless functions; thread-safe.
#pragma once

#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

// `heads` holds at most kMaxHeadsPerVolume heads (the store checks before it encodes).
Bytes encode_head_list(const std::vector<Bytes>& heads);
// Errc::corrupt for anything but an array of at most kMaxHeadsPerVolume bins.
Result<std::vector<Bytes>> decode_head_list(ByteView record);

}  // namespace peerstore
