// BlockStore: immutable, content-addressed, encrypted blocks keyed by BlockId
// (BLAKE2b-256 of the ciphertext). Implementations are thread-safe.
#pragma once

#include <algorithm>
#include <functional>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

using BlockId = Id256;

inline constexpr size_t kMaxBlockSize = (1 << 20) + 64;  // 1 MiB plaintext + AEAD overhead

// A block to store. Does not own its bytes: they must outlive the put()/write() call.
struct BlockRecord {
  BlockId id;
  ByteView data;
};

class BlockStore {
 public:
  virtual ~BlockStore() = default;

  // The block's bytes, or Errc::not_found. Callers verify content (hash or AEAD).
  virtual Result<Bytes> get(const BlockId& id) = 0;
  virtual Result<bool> contains(const BlockId& id) = 0;
  // Calls fn with the block's bytes, valid only during the call; avoids a copy where the
  // implementation can (LMDB's memory map). Errc::not_found if absent.
  virtual Status view(const BlockId& id, const std::function<Status(ByteView)>& fn) {
    PS_ASSIGN(Bytes b, get(id));
    return fn(b);
  }
  // Copies bytes [off, off + len) of the block, clipped to its size, to `out`, and sets *size to
  // the block's whole size: a read of part of a block that maps nothing into this process (LMDB
  // reads the file with pread). Errc::not_found if absent. Default: through view().
  virtual Status read_part(const BlockId& id, size_t off, size_t len, uint8_t* out, size_t* size) {
    return view(id, [&](ByteView b) {
      *size = b.size();
      if (off < b.size()) std::copy_n(b.data() + off, std::min(len, b.size() - off), out);
      return Status();
    });
  }
  // Stores all blocks or none, durably. Storing a block that exists is a no-op.
  virtual Status put(std::span<const BlockRecord> blocks) = 0;
  // What identifies the blocks this store holds: stores that share them (views of one LMDB
  // environment with different heads databases) answer the same. Default: the object itself.
  virtual const void* blocks_identity() const { return this; }
  // Visits every stored block id (order unspecified); stops early when fn returns false.
  virtual Status for_each_id(const std::function<bool(const BlockId&, size_t size)>& fn) = 0;
};

}  // namespace peerstore
