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

// How a write transaction's commit reaches the disk: `full` syncs the data pages, then writes
// the meta page synchronously; `data` syncs the data pages only (MDB_NOMETASYNC: a power cut
// may forget the commit, the next commit's sync covers its meta page); `none` syncs nothing
// (MDB_NOSYNC: only as safe as the page cache, see store/unsynced_marker.h).
enum class CommitSync { full, data, none };

// Begins a write transaction whose commit syncs as `sync` says. LMDB 0.9 ignores sync flags
// given to mdb_txn_begin and reads them from the environment at commit, so they are set on the
// environment here, once this thread holds LMDB's write lock: no other write commits between
// this begin and this transaction's commit, and every writer sets them this way.
inline int begin_write(MDB_env* env, CommitSync sync, Txn& txn) {
  int rc = mdb_txn_begin(env, nullptr, 0, &txn.t);
  if (rc) return rc;
  mdb_env_set_flags(env, MDB_NOSYNC | MDB_NOMETASYNC, 0);
  if (sync == CommitSync::data) mdb_env_set_flags(env, MDB_NOMETASYNC, 1);
  if (sync == CommitSync::none) mdb_env_set_flags(env, MDB_NOSYNC, 1);
  return 0;
}

}  // namespace peerstore::lmdb
