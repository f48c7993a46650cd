// KvTable: a small ordered table of records beside a computer's blocks: short keys to short
// values, in byte order of the key, written in atomic and durable batches. What a layer keeps
// per block or per volume that is not a block: the claims a device made (store/claim_book.h).
// Implementations: MemoryKvTable (below; tests) and LmdbTable (a database of its own in an
// LmdbStore's environment, LmdbStore::table). Conformance suite:
// tests/unit/store/kv_table_conformance_test.cc. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore {

class KvTable {
 public:
  // A change: the key and its new value, or nullopt to erase it.
  using Change = std::pair<Bytes, std::optional<Bytes>>;
  // Keys and values are short: at most this many bytes each (Errc::too_big past it).
  static constexpr size_t kMaxKey = 256, kMaxValue = 4096;

  virtual ~KvTable() = default;
  // The value of `key`, or nullopt.
  virtual Result<std::optional<Bytes>> get(ByteView key) = 0;
  // All of the changes or none, in order (a later change of a key wins), durable when it
  // returns. Erasing a missing key is no error.
  virtual Status write(const std::vector<Change>& changes) = 0;
  // Every record whose key starts with `prefix`, in byte order of the keys, until `fn` returns
  // false. `fn` must not write to the table.
  virtual Status scan(ByteView prefix,
                      const std::function<bool(ByteView key, ByteView value)>& fn) = 0;

 protected:
  static Status check(const std::vector<Change>& changes);
};

class MemoryKvTable final : public KvTable {
 public:
  Result<std::optional<Bytes>> get(ByteView key) override;
  Status write(const std::vector<Change>& changes) override;
  Status scan(ByteView prefix,
              const std::function<bool(ByteView key, ByteView value)>& fn) override;

 private:
  // bytes_less, not std::less: GCC 12 warns falsely (-Wstringop-overread) on the inlined
  // memcmp of vector<uint8_t>'s operator<=>.
  struct Less {
    bool operator()(const Bytes& a, const Bytes& b) const { return bytes_less(a, b); }
  };
  std::mutex mu_;
  std::map<Bytes, Bytes, Less> rows_;
};

}  // namespace peerstore
