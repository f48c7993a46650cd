// Mount tests, claims (docs/lifecycle.md, Ring collection): every block a commit stores is
// claimed for this computer on its volume's behalf before the commit's heads go up; the claim
// book (the "claims" table of DATA/store) says "live" only once the ring acknowledged the
// claim. So after a commit and a clean unmount, every block in the store has a live claim of
// the home volume. Read with the LMDB C API while unmounted: key volume(32) ‖ block(32), value
// number(4) ‖ state(1), state 1 = live (store/claim_book.h).
#include <fcntl.h>
#include <lmdb.h>
#include <unistd.h>

#include <set>

#include "mount/mount_test_util.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

// Every key of database `name` in the environment `dir`, with its value.
std::vector<std::pair<std::string, std::string>> rows_of(const std::string& dir, const char* name) {
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
  INFO("database " << name);
  return rows;
}

TEST_CASE("claims: every block a commit stored has a live claim of this computer's home volume") {
  MountFixture fx;
  if (!fx.require_real_mount()) return;
  write_file(fx.path("big.bin"), random_bytes(3 << 20, 7));
  REQUIRE_OK(mkdir(fx.path("dir").c_str(), 0755));
  for (int i = 0; i < 20; ++i)
    write_file(fx.path("dir/f" + std::to_string(i)), "small file " + std::to_string(i));
  {
    Fd fd = open_or_die(fx.mountpoint(), O_RDONLY | O_DIRECTORY);
    REQUIRE_OK(syncfs(fd.get()));
  }
  // Overwritten: the new chunks are claimed too (the old ones stay claimed until collected).
  write_file(fx.path("big.bin"), random_bytes(1 << 20, 8));
  REQUIRE_EQ(fx.unmount(), 0);

  auto blocks = rows_of(fx.data_dir() + "/store", "blocks");
  auto claims = rows_of(fx.data_dir() + "/store", "claims");
  REQUIRE(blocks.size() > 60);  // 4 MiB of chunks and the tree
  std::set<std::string> volumes, live;
  size_t pending = 0;
  for (auto& [k, v] : claims) {
    REQUIRE_EQ(k.size(), 64u);
    REQUIRE_EQ(v.size(), 5u);
    volumes.insert(k.substr(0, 32));
    if (v[4] == 1)
      live.insert(k.substr(32));
    else
      ++pending;
  }
  CHECK(volumes.size() == 1);  // the home volume only
  CHECK(pending == 0);         // the unmount waited for every claim
  size_t unclaimed = 0;
  for (auto& [id, data] : blocks) unclaimed += live.count(id) == 0;
  CHECK_MESSAGE(unclaimed == 0,
                unclaimed << " of " << blocks.size() << " blocks have no live claim");
}

}  // namespace
}  // namespace peerstore::test
