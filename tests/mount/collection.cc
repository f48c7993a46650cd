// Mount tests, collection (docs/lifecycle.md, Local collection): on a one-node mount whose
// retention keeps only the current version, a deleted file's blocks leave the store within a
// minute (the collector cancels this computer's claims on them, and the lone node releases
// them after its short grace); what is still in the tree reads back, new writes work, and all
// of it survives a remount. A kill -9 at a random point of a collection and of the release that
// follows it loses nothing the tree still holds (PEERSTORE_MOUNT_SEED replays one). The store is
// read while mounted (LMDB allows other readers).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "mount/mount_test_util.h"
#include "support/claim_rows.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

uint64_t block_bytes(const std::string& data_dir) {
  uint64_t n = 0;
  for (auto& [id, data] : lmdb_rows(data_dir + "/store", "blocks")) n += data.size();
  return n;
}

TEST_CASE("collection: a deleted file's space comes back within a minute") {
  MountOptions o;
  o.fuse_options = {"snapshots_all=0", "snapshots_hourly=0", "snapshots_daily=0"};
  MountFixture fx(o);
  if (!fx.require_real_mount()) return;
  std::string keep = random_bytes(200 << 10, 1), big = random_bytes(24 << 20, 2);
  write_file(fx.path("keep.bin"), keep);
  write_file(fx.path("big.bin"), big);
  for (const char* name : {"keep.bin", "big.bin"}) {
    Fd fd = open_or_die(fx.path(name), O_RDONLY);
    REQUIRE_OK(fsync(fd.get()));
  }
  uint64_t full = block_bytes(fx.data_dir());
  REQUIRE(full > (24u << 20));

  auto start = std::chrono::steady_clock::now();
  REQUIRE_OK(unlink(fx.path("big.bin").c_str()));
  uint64_t now = full;
  double waited = 0;
  // The figure users are promised is a minute; the deadline leaves room for a loaded machine.
  while (waited < 120) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    now = block_bytes(fx.data_dir());
    waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (now < (4u << 20)) break;
  }
  MESSAGE("store: " << full << " bytes of blocks, " << now << " after the delete, " << waited
                    << " s");
  CHECK(now < (4u << 20));
  CHECK(fx.log().find("collected:") != std::string::npos);

  // What is left reads back; writing goes on.
  CHECK(read_file(fx.path("keep.bin")) == keep);
  write_file(fx.path("after.txt"), "after");
  REQUIRE_EQ(fx.unmount(), 0);
  fx.mount();
  CHECK(read_file(fx.path("keep.bin")) == keep);
  CHECK(read_file(fx.path("after.txt")) == "after");
  CHECK(access(fx.path("big.bin").c_str(), F_OK) == -1);
}

TEST_CASE("collection: a kill -9 at any point of a collection and release loses nothing kept") {
  const char* env = getenv("PEERSTORE_MOUNT_SEED");
  uint64_t seed = env ? std::strtoull(env, nullptr, 10) : std::random_device{}();
  INFO("seed " << seed << " (PEERSTORE_MOUNT_SEED replays it)");
  std::mt19937_64 rng(seed);
  MountOptions o;
  o.fuse_options = {"snapshots_all=0", "snapshots_hourly=0", "snapshots_daily=0"};
  MountFixture fx(o);
  if (!fx.require_real_mount()) return;
  std::map<std::string, std::string> kept;
  std::vector<std::string> doomed;
  for (int i = 0; i < 120; ++i) {
    std::string name = "f" + std::to_string(i);
    // Files that share chunks with the doomed ones (the same first 64 KiB) and files that do not.
    std::string data =
        random_bytes(64 << 10, i / 2) + random_bytes(1 + rng() % (200 << 10), 1000 + i);
    write_file(fx.path(name), data);
    Fd fd = open_or_die(fx.path(name), O_RDONLY);
    REQUIRE_OK(fsync(fd.get()));
    if (i % 2)
      doomed.push_back(name);
    else
      kept[name] = data;
  }
  for (auto& name : doomed) REQUIRE_OK(unlink(fx.path(name).c_str()));
  // The collection starts 10 s after the last removal and the release 20 s after its cancels:
  // a kill anywhere in [9 s, 33 s] lands before, in or after each.
  int64_t kill_ms = 9000 + int64_t(rng() % 24000);
  MESSAGE("kill -9 " << kill_ms << " ms after the deletes");
  std::this_thread::sleep_for(std::chrono::milliseconds(kill_ms));
  fx.crash();
  fx.mount();
  for (auto& [name, data] : kept) CHECK_MESSAGE(read_file(fx.path(name)) == data, name);
  for (auto& name : doomed) CHECK(access(fx.path(name).c_str(), F_OK) == -1);
  // The next collection, after the restart, keeps them too.
  write_file(fx.path("trigger"), "x");
  {
    Fd fd = open_or_die(fx.path("trigger"), O_RDONLY);
    REQUIRE_OK(fsync(fd.get()));
  }
  REQUIRE_OK(unlink(fx.path("trigger").c_str()));
  for (int i = 0; i < 60 && fx.log().find("collected:") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(fx.log().find("collected:") != std::string::npos);
  REQUIRE_EQ(fx.unmount(), 0);
  fx.mount();
  for (auto& [name, data] : kept) CHECK_MESSAGE(read_file(fx.path(name)) == data, name);
}

}  // namespace
}  // namespace peerstore::test
