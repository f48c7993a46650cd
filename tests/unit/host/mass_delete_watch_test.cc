// MassDeleteWatch: removing most files of a tree pins the version committed before the first
// removal as before-mass-delete-TIME (readable, with every file), once for the burst; a small
// clean-up pins nothing; one file saved over and over pins nothing; truncations count like
// removals; with the brake off nothing is pinned.
#include "host/mass_delete_watch.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <sys/stat.h>

#include <thread>

#include "../common/must.h"
#include "fs/version_view.h"
#include "host_fs.h"
#include "keys/signing_key.h"
#include "store/memory_store.h"

namespace peerstore::host {
namespace {

using test::must;
using test_fs::me;
using test_fs::options;
constexpr uint64_t kRoot = NodeTable::kRootIno;

struct Tree {
  MemoryStore store;
  SigningKey user = SigningKey::generate();
  PublicKey device = SigningKey::generate().public_key();
  std::unique_ptr<FileSystem> fs = must(FileSystem::open(
      must(Volume::open(store, VolumeKeys::derive_home(user), device)), options(), me()));
  std::vector<MassDeleteWatch::Tripped> trips;
  std::unique_ptr<MassDeleteWatch> watch;

  explicit Tree(BrakeConfig config = {}) {
    watch = std::make_unique<MassDeleteWatch>(
        store, VolumeKeys::derive_home(user), device, *fs, config,
        [this](const MassDeleteWatch::Tripped& t) { trips.push_back(t); });
    fs->set_removal_sink([w = watch.get()](int64_t t, uint64_t where) { w->removed(t, where); });
  }
  ~Tree() {
    fs->set_removal_sink(nullptr);
    watch.reset();
  }

  void make_files(int n) {
    for (int i = 0; i < n; ++i) {
      EntryOut e;
      REQUIRE(fs->create(me(), kRoot, "f" + std::to_string(i), 0644, O_RDWR, &e) == 0);
      std::string text = "file " + std::to_string(i);
      REQUIRE(fs->write(e.ino, 0, to_bytes(text)) == ssize_t(text.size()));
      REQUIRE(fs->release(e.ino) == 0);
    }
    REQUIRE(fs->commit() == 0);
    // Removals in the same nanosecond as the commit would count as before it.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  void remove_files(int from, int to) {
    for (int i = from; i < to; ++i) REQUIRE(fs->unlink(kRoot, "f" + std::to_string(i)) == 0);
    watch->settle();
  }
};

TEST_CASE("brake: most files removed pins the version before, once") {
  Tree t;
  t.make_files(120);
  Id256 before = t.fs->volume().head()->hash();
  t.remove_files(0, 30);  // a clean-up: below the floor
  CHECK(read_pins(*t.fs).empty());
  t.remove_files(30, 100);  // 100 of 120 within the window
  auto pins = read_pins(*t.fs);
  REQUIRE(pins.size() == 1);
  CHECK(pins[0].name.rfind("before-mass-delete-", 0) == 0);
  CHECK(pins[0].head == before);
  CHECK(pins[0].note.find("of 120 files") != std::string::npos);
  REQUIRE(t.trips.size() == 1);
  CHECK(t.trips[0].files_before == 120);
  CHECK(t.trips[0].removed >= 37);  // 30 % of 120 is 36; the floor of 50 came later
  CHECK(t.trips[0].removed >= MassDeleteBrake::kMinRemovals);
  // The pinned version has every file.
  auto head =
      must(must(Volume::open(t.store, reader_keys(VolumeKeys::derive_home(t.user)), t.device))
               ->load_head(before));
  auto old = must(open_version(t.store, VolumeKeys::derive_home(t.user), t.device, head));
  EntryOut e;
  CHECK(old->lookup(kRoot, "f5", &e) == 0);
  CHECK(old->lookup(kRoot, "f119", &e) == 0);
  // The rest of the burst pins nothing more.
  t.remove_files(100, 120);
  CHECK(read_pins(*t.fs).size() == 1);
}

TEST_CASE("brake: a burst of removals is weighed in a few passes, not one per file") {
  Tree t;
  t.make_files(300);
  t.remove_files(0, 300);  // as rm -rf does: one unlink after another
  // Each removal woke the thread (under the file system's lock) and it weighed about every
  // one on its own; now it gathers a burst for a moment first.
  CHECK(t.watch->passes() <= 10);
  CHECK(read_pins(*t.fs).size() == 1);  // and it still trips
}

TEST_CASE("brake: one file saved over and over (write a copy, rename it over) pins nothing") {
  Tree t;
  t.make_files(60);
  for (int i = 0; i < 80; ++i) {
    EntryOut e;
    REQUIRE(t.fs->create(me(), kRoot, "f0.tmp", 0644, O_RDWR, &e) == 0);
    std::string text = "save " + std::to_string(i);
    REQUIRE(t.fs->write(e.ino, 0, to_bytes(text)) == ssize_t(text.size()));
    REQUIRE(t.fs->release(e.ino) == 0);
    REQUIRE(t.fs->rename(kRoot, "f0.tmp", kRoot, "f0", 0) == 0);
  }
  t.watch->settle();
  CHECK(read_pins(*t.fs).empty());
}

TEST_CASE("brake: truncations count as removals; off pins nothing") {
  Tree t;
  t.make_files(60);
  for (int i = 0; i < 60; ++i) {
    EntryOut e;
    REQUIRE(t.fs->lookup(kRoot, "f" + std::to_string(i), &e) == 0);
    struct stat st {
    }, out{};
    st.st_size = 0;
    REQUIRE(t.fs->setattr(e.ino, st, FUSE_SET_ATTR_SIZE, &out) == 0);
  }
  t.watch->settle();
  CHECK(read_pins(*t.fs).size() == 1);

  BrakeConfig off;
  off.on = false;
  Tree quiet(off);
  quiet.make_files(60);
  quiet.remove_files(0, 60);
  CHECK(read_pins(*quiet.fs).empty());
}

}  // namespace
}  // namespace peerstore::host
