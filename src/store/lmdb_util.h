// LMDB helpers shared by the store's LMDB files (lmdb_store.cc, lmdb_table.cc): the error map
// from LMDB's codes to Errc, views of MDB_val, and a transaction that aborts unless committed.
// Internal to the store layer.
#pragma once

#include <lmdb.h>

#include <cerrno>
#include <string>

#include "common/bytes.h"
#include "common/result.h"

namespace peerstore::lmdb {

inline Error error(int rc, const std::string& what) {
  Errc code = rc == MDB_MAP_FULL || rc == ENOSPC ? Errc::no_space
              : rc == MDB_CORRUPTED || rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH
                  ? Errc::corrupt
              : rc == EACCES ? Errc::permission
                             : Errc::io;
  return fail(code, what + " (" + mdb_strerror(rc) + ")");
}

inline MDB_val val(ByteView b) {
  return MDB_val{b.size(), const_cast<uint8_t*>(b.data())};
}
inline ByteView bytes_of(const MDB_val& v) {
  return {static_cast<const uint8_t*>(v.mv_data), v.mv_size};
}

// Aborts a transaction unless it was committed.
struct Txn {
  MDB_txn* t = nullptr;
  Txn() = default;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() {
    if (t) mdb_txn_abort(t);
  }
  int commit() {
    int rc = mdb_txn_commit(t);
    t = nullptr;
    return rc;
  }
};

}  // namespace peerstore::lmdb
