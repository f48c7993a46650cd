// Steps of the ReplicaStore tests: a put, then the disk settles, then its answer.
#pragma once

#include <optional>

#include "dht/replica_store.h"
#include "test_data.h"
#include "test_disks.h"

namespace peerstore::sim {

// A callback that keeps what it is given, to be checked later.
template <typename T>
auto into(std::optional<T>& slot) {
  return [&slot](T v) { slot = std::move(v); };
}

// Puts and waits for the answer.
inline Status put_now(ReplicaStore& rs, SteppedDiskQueue& disk, const TestBlock& b) {
  std::optional<Status> st;
  rs.put_block(b.id, b.data, into(st));
  disk.settle();
  return *st;
}

inline Result<bool> put_records_now(ReplicaStore& rs, SteppedDiskQueue& disk, KeyKind kind,
                                    const Id256& owner, const std::vector<Bytes>& records) {
  std::optional<Result<bool>> r;
  rs.put_records(kind, owner, records, into(r));
  disk.settle();
  return *r;
}

}  // namespace peerstore::sim
