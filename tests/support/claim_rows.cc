#include "support/claim_rows.h"

#include <doctest/doctest.h>
#include <lmdb.h>

namespace peerstore::test {

std::vector<std::pair<std::string, std::string>> lmdb_rows(const std::string& dir,
                                                           const char* name) {
  MDB_env* env = nullptr;
  REQUIRE_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 16);
  int rc = mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0600);
  REQUIRE_MESSAGE(rc == 0, "mdb_env_open " << dir << ": " << std::string(mdb_strerror(rc)));
  MDB_txn* txn = nullptr;
  REQUIRE_EQ(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn), 0);
  MDB_dbi dbi;
  rc = mdb_dbi_open(txn, name, 0, &dbi);
  std::vector<std::pair<std::string, std::string>> rows;
  if (rc == 0) {
    MDB_cursor* cursor = nullptr;
    REQUIRE_EQ(mdb_cursor_open(txn, dbi, &cursor), 0);
    MDB_val k, v;
    for (rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT))
      rows.emplace_back(std::string(static_cast<const char*>(k.mv_data), k.mv_size),
                        std::string(static_cast<const char*>(v.mv_data), v.mv_size));
    mdb_cursor_close(cursor);
  }
  mdb_txn_abort(txn);
  mdb_env_close(env);
  return rows;
}

ClaimRows claim_rows(const std::string& dir) {
  ClaimRows out;
  for (auto& [k, v] : lmdb_rows(dir, "claims")) {
    REQUIRE_EQ(k.size(), 64u);
    REQUIRE_EQ(v.size(), 5u);
    out.volumes.insert(k.substr(0, 32));
    if (v[4] == 1)
      out.live.insert(k.substr(32));
    else
      ++out.pending;
  }
  return out;
}

}  // namespace peerstore::test
