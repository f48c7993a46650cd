// Mount tests, claims (docs/lifecycle.md, Ring collection): every block a commit stores is
// claimed for this computer on its volume's behalf before the commit's heads go up; the claim
// book (the "claims" table of DATA/store) says "live" only once the ring acknowledged the
// claim. So after a commit and a clean unmount, every block in the store has a live claim of
// the home volume. Read while unmounted (support/claim_rows.h).
#include <fcntl.h>
#include <unistd.h>

#include "mount/mount_test_util.h"
#include "support/claim_rows.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

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

  auto blocks = lmdb_rows(fx.data_dir() + "/store", "blocks");
  ClaimRows claims = claim_rows(fx.data_dir() + "/store");
  REQUIRE(blocks.size() > 60);        // 4 MiB of chunks and the tree
  CHECK(claims.volumes.size() == 1);  // the home volume only
  CHECK(claims.pending == 0);         // the unmount waited for every claim
  size_t unclaimed = 0;
  for (auto& [id, data] : blocks) unclaimed += claims.live.count(id) == 0;
  CHECK_MESSAGE(unclaimed == 0,
                unclaimed << " of " << blocks.size() << " blocks have no live claim");
}

}  // namespace
}  // namespace peerstore::test
