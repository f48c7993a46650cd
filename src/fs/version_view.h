// open_version: one past version of a volume as a FileSystem of its own, opened with the
// volume's read-only keys at that version's head, so nothing can be committed through it. What
// the exposure report reads every version with, and what a revoke copies: a version no live
// sync can change while it is read. Each call opens its own Volume; the result is the
// caller's, for its thread.
#pragma once

#include "fs/file_system.h"

namespace peerstore {

// `keys` may hold the signer or not: only the read key, convergence secret and id are used.
Result<std::unique_ptr<FileSystem>> open_version(LocalStore& store, const VolumeKeys& keys,
                                                 const PublicKey& device, const Head& head);

// Read-only keys of the same volume.
VolumeKeys reader_keys(const VolumeKeys& keys);

}  // namespace peerstore
