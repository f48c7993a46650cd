// Mount tests, collection (docs/lifecycle.md, Local collection): on a one-node mount whose
// retention keeps only the current version, a deleted file's blocks leave the store within a
// minute (the collector cancels this computer's claims on them, and the lone node releases
// them after its short grace); what is still in the tree reads back, new writes work, and all
// of it survives a remount. A kill -9 at a random point of a collection and of the release that
// follows it loses nothing the tree still holds (PEERSTORE_MOUNT_SEED replays one). A file deleted
// in a shared folder the mount writes goes the same way. The store is read while mounted (LMDB
// allows other readers).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "mount/mount_test_util.h"
#include "mount/share_tool.h"
#include "support/claim_rows.h"
#include "support/mount_fixture.h"

namespace peerstore::test {
namespace {

uint64_t block_bytes(const std::string& data_dir) {
  uint64_t n = 0;
  for (auto& [id, data] : lmdb_rows(data_dir + "/store", "blocks")) n += data.size();
  return n;
}

// Deletes `file` and waits (up to 120 s: the figure users are promised is a minute, the deadline
// leaves room for a loaded machine) until the store holds less than `below` bytes of blocks.
// Returns what it holds then; says how long it took.
uint64_t delete_and_wait(MountFixture& fx, const std::string& file, uint64_t below) {
  uint64_t full = block_bytes(fx.data_dir());
  auto start = std::chrono::steady_clock::now();
  REQUIRE_OK(unlink(file.c_str()));
  uint64_t now = full;
  double waited = 0;
  while (waited < 120 && now >= below) {
    std::this_thread::sleep_for(std::chrono::seconds(2));
    now = block_bytes(fx.data_dir());
    waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  MESSAGE("store: " << full << " bytes of blocks, " << now << " after deleting " << file << ", "
                    << waited << " s");
  return now;
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
  REQUIRE(block_bytes(fx.data_dir()) > (24u << 20));
  CHECK(delete_and_wait(fx, fx.path("big.bin"), 4u << 20) < (4u << 20));
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

TEST_CASE("collection: a file deleted in a shared folder gives its space back too") {
  MountOptions o;
  o.fuse_options = {"snapshots_all=0", "snapshots_hourly=0", "snapshots_daily=0"};
  MountFixture owner(o);
  if (!owner.require_real_mount()) return;
  MountFixture other;  // the user it is shared with: only their id is needed
  if (!other.require_real_mount()) return;
  REQUIRE_OK(mkdir(owner.path("proj").c_str(), 0755));
  write_file(owner.path("proj/keep.txt"), "kept in the shared folder");
  Run granted =
      share(owner, {"grant", owner.path("proj"), user_id(owner, other.config_dir()), "--write"});
  REQUIRE_MESSAGE(granted.status == 0, granted.out << owner.log());
  std::string big = random_bytes(16 << 20, 3);
  write_file(owner.path("proj/big.bin"), big);
  {
    Fd fd = open_or_die(owner.path("proj/big.bin"), O_RDONLY);
    REQUIRE_OK(fsync(fd.get()));
  }
  uint64_t full = block_bytes(owner.data_dir());
  REQUIRE(full > (16u << 20));
  CHECK(delete_and_wait(owner, owner.path("proj/big.bin"), full - (15u << 20)) + (15u << 20) <
        full);
  CHECK(owner.log().find("shared folders among them") != std::string::npos);
  CHECK(read_file(owner.path("proj/keep.txt")) == "kept in the shared folder");
  REQUIRE_EQ(owner.unmount(), 0);
  // Its blocks were claimed in the shared folder's name, beside the home volume's.
  CHECK(claim_rows(owner.data_dir() + "/store").volumes.size() == 2);
  owner.mount();
  CHECK(read_file(owner.path("proj/keep.txt")) == "kept in the shared folder");
  CHECK(access(owner.path("proj/big.bin").c_str(), F_OK) == -1);
}

}  // namespace
}  // namespace peerstore::test
