// How LmdbStore's commits reach the disk. A durable commit syncs its data and its meta page; one
// that is not durable syncs its data only (one sync, not two). With a background sync (a
// storage node's --replica-ack=written) a commit that is not durable is not synced by the
// writer at all; a thread syncs it soon after; the unsynced marker is on disk exactly while
// commits may be unsynced; and a store that a power cut may have corrupted (another boot's
// marker) is refused at open instead of read. Syncs are counted by sync_counter.h.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "../common/must.h"
#include "common/file_io.h"
#include "store/unsynced_marker.h"
#include "store_makers.h"
#include "sync_counter.h"

namespace peerstore {
namespace {

using test::make_block;
using test::must;
using test::TestBlock;

bool has_marker(const std::string& dir) {
  return ::access((dir + "/" + unsynced_marker::kFileName).c_str(), F_OK) == 0;
}

// Polls `cond` for up to 5 s (the syncer runs every few ms; the machine may be busy).
template <class F>
bool eventually(F cond) {
  for (int i = 0; i < 500; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

WriteBatch unsynced_batch(const TestBlock& b) {
  WriteBatch w;
  w.durable = false;
  w.blocks = {b.record()};
  return w;
}

WriteBatch durable_batch(const TestBlock& b) {
  WriteBatch w;
  w.blocks = {b.record()};
  return w;
}

TEST_CASE("commit syncs: durable, data and meta; not durable, its data only") {
  test::TempDir dir;
  auto store = must(LmdbStore::open(dir.file("db")));
  TestBlock a = make_block(1), b = make_block(2), c = make_block(3);
  test::SyncDelta durable;
  REQUIRE(store->write(durable_batch(a)).ok());
  CHECK(durable.now().total() == 2);  // the data pages, then the meta page
  // LMDB 0.9 ignores sync flags given to mdb_txn_begin: this took two syncs, as a durable
  // commit does, until they were set on the environment (lmdb::begin_write).
  test::SyncDelta not_durable;
  REQUIRE(store->write(unsynced_batch(b)).ok());
  CHECK(not_durable.now().syncs == 1);
  CHECK(not_durable.now().dsync_writes == 0);
  // The flag does not stick: the next durable commit syncs its meta page again.
  test::SyncDelta again;
  REQUIRE(store->write(durable_batch(c)).ok());
  CHECK(again.now().total() == 2);
}

TEST_CASE("commit syncs: with a background sync, the writer syncs only durable commits") {
  test::TempDir dir;
  auto store = must(LmdbStore::open(dir.file("db"), {.background_sync_ms = 10'000}));
  REQUIRE(store->write(unsynced_batch(make_block(1))).ok());  // writes the marker (synced)
  test::SyncDelta unsynced;
  for (int i = 2; i < 12; ++i) REQUIRE(store->write(unsynced_batch(make_block(i))).ok());
  CHECK(unsynced.now().total() == 0);
  test::SyncDelta durable;
  REQUIRE(store->write(durable_batch(make_block(20))).ok());
  CHECK(durable.now().total() == 2);
}

TEST_CASE("background sync: the marker is there while commits may be unsynced, then goes") {
  test::TempDir dir;
  std::string db = dir.file("db");
  auto store = must(LmdbStore::open(db, {.background_sync_ms = 10, .boot_id = "boot-a"}));
  CHECK_FALSE(has_marker(db));  // nothing written yet: a power cut now costs nothing

  TestBlock a = make_block(1, 70000);
  REQUIRE(store->write(unsynced_batch(a)).ok());
  CHECK(has_marker(db));                             // written before the commit, and durably
  CHECK(unsynced_marker::check(db, "boot-a").ok());  // this boot: a crash would lose nothing
  CHECK(unsynced_marker::check(db, "boot-b").code() == Errc::corrupt);
  REQUIRE(eventually([&] { return store->background_syncs() >= 1; }));
  // Two quiet rounds after the sync that covered it, the marker goes.
  REQUIRE(eventually([&] { return !has_marker(db); }));
  CHECK_FALSE(store->marked_unsynced());

  // A durable commit needs no marker: it syncs itself.
  TestBlock b = make_block(2);
  WriteBatch durable;
  durable.blocks = {b.record()};
  REQUIRE(store->write(durable).ok());
  CHECK_FALSE(has_marker(db));

  // Busy again, then closed: the close syncs and removes the marker.
  TestBlock c = make_block(3);
  REQUIRE(store->write(unsynced_batch(c)).ok());
  CHECK(has_marker(db));
  store.reset();
  CHECK_FALSE(has_marker(db));
  store = must(LmdbStore::open(db, {.boot_id = "boot-b"}));  // another boot: nothing to fear
  CHECK(must(store->get(a.id)) == a.data);
  CHECK(must(store->get(b.id)) == b.data);
  CHECK(must(store->get(c.id)) == c.data);
}

TEST_CASE("background sync: a marker of this boot is a process crash; of another, a power cut") {
  test::TempDir dir;
  std::string db = dir.file("db");
  TestBlock a = make_block(1);
  {
    auto store = must(LmdbStore::open(db, {.boot_id = "boot-a"}));
    REQUIRE(store->write(unsynced_batch(a)).ok());
  }
  // What a process killed between an unsynced commit and the sync leaves behind.
  REQUIRE(unsynced_marker::set(db, "boot-a").ok());

  SUBCASE("the same boot: the page cache kept every commit, and the next sync covers them") {
    auto store = must(LmdbStore::open(db, {.background_sync_ms = 10, .boot_id = "boot-a"}));
    CHECK(must(store->get(a.id)) == a.data);
    CHECK(store->marked_unsynced());
    REQUIRE(eventually([&] { return !has_marker(db); }));
    CHECK(store->background_syncs() >= 1);
  }
  SUBCASE("the same boot, opened without a background sync: read as usual") {
    auto store = must(LmdbStore::open(db, {.boot_id = "boot-a"}));
    CHECK(must(store->get(a.id)) == a.data);
  }
  SUBCASE("another boot: refused, whatever the options, and the store is left as it is") {
    for (int64_t ms : {int64_t(0), int64_t(10)}) {
      auto store = LmdbStore::open(db, {.background_sync_ms = ms, .boot_id = "boot-b"});
      REQUIRE_FALSE(store.ok());
      CHECK(store.code() == Errc::corrupt);
      CHECK(store.error().message().find("may be corrupt") != std::string::npos);
    }
    CHECK(has_marker(db));
  }
  SUBCASE("a marker that is not a boot id is refused too") {
    REQUIRE(write_file_durably(db + "/" + unsynced_marker::kFileName,
                               as_bytes(std::string(300, 'x')), Placement::replace)
                .ok());
    CHECK(LmdbStore::open(db, {.boot_id = "boot-a"}).code() == Errc::corrupt);
  }
}

TEST_CASE("background sync: the kernel's boot id is read") {
  std::string id = unsynced_marker::current_boot_id();
  CHECK(id.size() == 36);  // a UUID, without its newline
  CHECK(id.find('\n') == std::string::npos);
}

}  // namespace
}  // namespace peerstore
