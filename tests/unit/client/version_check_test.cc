// `peerstore fsck --versions` (client::check_versions): every version retention keeps is read
// block by block; a chunk only an old version still reaches, once damaged, is reported against
// that version and no other; a version retention lets go is not checked; a head missing from
// the history is reported; shared blocks are read once.
#include "client/version_check.h"

#include <doctest/doctest.h>

#include <set>

#include "../common/must.h"
#include "../fs/fs_harness.h"

namespace peerstore::client {
namespace {

using test::FsHarness;
using test::kRoot;
using test::must;

struct History {
  FsHarness h;
  std::set<BlockId> old_chunks;  // reached by the first version of big.bin only
  std::unique_ptr<Volume> volume;
  Head newest, older;

  History() {
    uint64_t big = h.create(kRoot, "big.bin");
    h.write(big, 0, test::pattern(140'000, 1));
    h.write(h.create(kRoot, "small.txt"), 0, std::string("kept in every version"));
    REQUIRE(h.fs->commit() == 0);
    old_chunks = test::block_ids_over(h.store, 60'000);
    REQUIRE(old_chunks.size() == 2);
    h.write(big, 0, test::pattern(140'000, 2));  // every chunk of the file changes
    REQUIRE(h.fs->commit() == 0);
    h.fs.reset();
    volume = must(Volume::open(h.store, test::test_volume_keys(), test::test_device()));
    REQUIRE(volume->head());
    newest = *volume->head();
    REQUIRE(newest.parents.size() == 1);
    older = must(volume->load_head(newest.parents[0]));
  }

  VersionsOptions options() const {
    VersionsOptions o;
    o.now_ns = newest.time_ns + 1'000'000'000;
    return o;
  }

  void erase(const BlockId& id) {
    WriteBatch b;
    b.erase.push_back(id);
    REQUIRE(h.store.write(b).ok());
    // A fresh volume: nothing of the erased block is cached.
    volume = must(Volume::open(h.store, test::test_volume_keys(), test::test_device()));
  }
};

TEST_CASE("fsck versions: every retained version reads back; shared blocks are read once") {
  History t;
  auto r = check_versions(*t.volume, {}, t.options());
  CHECK(r.damaged.empty());
  CHECK(r.versions >= 2);
  CHECK(r.checked == r.versions);  // all within the last hour: all retained
  CHECK_FALSE(r.stopped);
  CHECK_FALSE(r.history_cut);
  // Each distinct block once: fewer than the blocks of all versions added up, and at least
  // the four chunks of big.bin's two versions.
  size_t stored = test::block_ids_over(t.h.store, 0).size();
  CHECK(r.blocks >= 4);
  CHECK(r.blocks <= stored);
}

TEST_CASE("fsck versions: a chunk only an old version reaches is reported against it") {
  History t;
  t.erase(*t.old_chunks.begin());
  std::vector<VersionDamage> found;
  VersionsOptions o = t.options();
  o.found = [&](const VersionDamage& d) { found.push_back(d); };
  auto r = check_versions(*t.volume, {}, o);
  REQUIRE(r.damaged.size() == 1);
  CHECK(r.damaged[0].head == t.older.hash());
  CHECK(r.damaged[0].time_ns == t.older.time_ns);
  CHECK(r.damaged[0].error.find(t.old_chunks.begin()->short_hex()) != std::string::npos);
  CHECK(found.size() == 1);
  // Retention that keeps only the current version does not look at the old one.
  o.policy = RetentionPolicy{std::chrono::seconds(0), std::chrono::seconds(0),
                             std::chrono::seconds(0), std::chrono::seconds(0)};
  auto current_only = check_versions(*t.volume, {}, o);
  CHECK(current_only.checked == 1);
  CHECK(current_only.damaged.empty());
}

TEST_CASE("fsck versions: a head missing from the history is reported; a stop is honoured") {
  History t;
  t.erase(t.older.hash());  // heads are stored as blocks under their hash
  auto r = check_versions(*t.volume, {}, t.options());
  REQUIRE_FALSE(r.damaged.empty());
  CHECK(r.damaged[0].head == t.older.hash());
  CHECK(r.damaged[0].time_ns == 0);
  CHECK(r.damaged[0].error.rfind("head: ", 0) == 0);
  CHECK(r.checked == 1);  // the current version, whose history stops there
  std::atomic<bool> stop{true};
  VersionsOptions o = t.options();
  o.stop = &stop;
  auto stopped = check_versions(*t.volume, {}, o);
  CHECK(stopped.stopped);
  CHECK(stopped.checked == 0);
}

TEST_CASE("snapshots: the versions retention keeps, newest first, the current one always") {
  History t;
  auto all = retained_history(*t.volume, {}, RetentionPolicy{}, t.options().now_ns);
  REQUIRE(all.heads.size() >= 2);
  CHECK(all.heads.size() == all.versions);
  CHECK(all.heads[0].hash() == t.newest.hash());
  CHECK(all.heads[1].hash() == t.older.hash());
  for (size_t i = 1; i < all.heads.size(); ++i)
    CHECK(all.heads[i - 1].time_ns >= all.heads[i].time_ns);
  CHECK(all.missing.empty());
  // Two days later the hour's versions are thinned to the last of the hour; with every rule
  // off only the current version stays.
  auto later = retained_history(*t.volume, {}, RetentionPolicy{},
                                t.newest.time_ns + 2 * 86400 * int64_t(1'000'000'000) - 1);
  CHECK(later.heads.size() < all.heads.size());
  CHECK(later.heads[0].hash() == t.newest.hash());
  RetentionPolicy none{std::chrono::seconds(0), std::chrono::seconds(0), std::chrono::seconds(0),
                       std::chrono::seconds(0)};
  auto current = retained_history(*t.volume, {}, none, t.options().now_ns);
  REQUIRE(current.heads.size() == 1);
  CHECK(current.heads[0].hash() == t.newest.hash());
}

TEST_CASE("snapshots: a pinned version is kept whatever retention says, and named by its pin") {
  History t;
  RetentionPolicy none{std::chrono::seconds(0), std::chrono::seconds(0), std::chrono::seconds(0),
                       std::chrono::seconds(0)};
  Pin old{"before-change", t.older.hash(), t.newest.time_ns, "kept on purpose"};
  auto h = retained_history(*t.volume, {}, none, t.options().now_ns, {old});
  REQUIRE(h.heads.size() == 2);
  CHECK(h.heads[1].hash() == t.older.hash());
  REQUIRE(h.pins.size() == 1);
  auto named = named_versions(h);
  REQUIRE(named.size() == 2);
  CHECK(named[0].name == version_time_name(t.newest.time_ns));
  CHECK(!named[0].pin);
  CHECK(named[1].name == "before-change");
  REQUIRE(named[1].pin);
  CHECK(named[1].pin->note == "kept on purpose");
  CHECK(named[1].head.hash() == t.older.hash());

  // Two pins of the current version: it shows by both names and by no time.
  Pin a{"a", t.newest.hash(), 1, ""}, b{"b", t.newest.hash(), 2, ""};
  auto twice = named_versions(retained_history(*t.volume, {}, none, t.options().now_ns, {b, a}));
  REQUIRE(twice.size() == 2);
  CHECK(twice[0].name == "a");
  CHECK(twice[1].name == "b");

  // fsck --versions reads the pinned version too, and a pin whose version is gone is reported.
  VersionsOptions o = t.options();
  o.policy = none;
  o.pins = {old};
  auto checked = check_versions(*t.volume, {}, o);
  CHECK(checked.checked == 2);
  CHECK(checked.damaged.empty());
  Id256 nowhere;
  nowhere.b.fill(0x42);
  auto lost =
      retained_history(*t.volume, {}, none, t.options().now_ns, {Pin{"lost", nowhere, 1, ""}});
  CHECK(lost.pins.empty());
  REQUIRE(lost.missing.size() == 1);
  CHECK(lost.missing[0].error.find("pinned as lost") != std::string::npos);
  CHECK(lost.heads.size() == 1);
}

}  // namespace
}  // namespace peerstore::client
