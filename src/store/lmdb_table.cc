#include "store/lmdb_table.h"

#include <algorithm>

#include "store/lmdb_util.h"

namespace peerstore {

using lmdb::bytes_of;
using lmdb::Txn;
using lmdb::val;

Result<std::optional<Bytes>> LmdbTable::get(ByteView key) {
  if (key.empty() || key.size() > kMaxKey) return fail(Errc::too_big, "a table key");
  Txn txn;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn.t);
  if (rc) return lmdb::error(rc, "read txn");
  MDB_val k = val(key), v;
  MapBudget::Scope faults(map_);
  rc = mdb_get(txn.t, dbi_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<Bytes>();
  if (rc) return lmdb::error(rc, "read table");
  ByteView b = bytes_of(v);
  return std::optional<Bytes>(Bytes(b.begin(), b.end()));
}

Status LmdbTable::write(const std::vector<Change>& changes) {
  PS_TRY(check(changes));
  if (changes.empty()) return {};
  Txn txn;
  int rc = lmdb::begin_write(env_, lmdb::CommitSync::full, txn);
  if (rc) return lmdb::error(rc, "write txn");
  MapBudget::Scope faults(map_);  // charged as it goes: a write may change thousands of records
  size_t n = 0;
  for (auto& [key, value] : changes) {
    if (++n % 16 == 0) faults.checkpoint();
    MDB_val k = val(key);
    if (value) {
      MDB_val v = val(*value);
      if ((rc = mdb_put(txn.t, dbi_, &k, &v, 0))) return lmdb::error(rc, "write table");
    } else if ((rc = mdb_del(txn.t, dbi_, &k, nullptr)) && rc != MDB_NOTFOUND) {
      return lmdb::error(rc, "erase from table");
    }
  }
  if ((rc = txn.commit())) return lmdb::error(rc, "commit table");
  return {};
}

Status LmdbTable::scan(ByteView prefix,
                       const std::function<bool(ByteView key, ByteView value)>& fn) {
  Txn txn;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn.t);
  if (rc) return lmdb::error(rc, "read txn");
  MDB_cursor* cur;
  if ((rc = mdb_cursor_open(txn.t, dbi_, &cur))) return lmdb::error(rc, "cursor");
  MapBudget::Scope faults(map_);
  MDB_val k = val(prefix), v;
  // MDB_SET_RANGE needs a key; an empty prefix starts at the first record.
  rc = mdb_cursor_get(cur, &k, &v, prefix.empty() ? MDB_FIRST : MDB_SET_RANGE);
  size_t n = 0;
  for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    if (++n % 64 == 0) faults.checkpoint();
    ByteView key = bytes_of(k);
    if (key.size() < prefix.size() || !std::equal(prefix.begin(), prefix.end(), key.begin())) break;
    if (!fn(key, bytes_of(v))) break;
  }
  mdb_cursor_close(cur);
  if (rc && rc != MDB_NOTFOUND) return lmdb::error(rc, "scan table");
  return {};
}

}  // namespace peerstore
