// One local collection (host/collection.h) over a file system in memory: a deleted file's blocks
// go and every retained version still reads whole; a version retention keeps keeps its blocks;
// an open unlinked file keeps its content until closed; a block waiting for upload stays; a
// block written anew while the run goes on stays (the write mark); the claims cancelled are
// exactly those of blocks nothing reaches; a version that cannot be read, or a store that keeps
// no write history, ends the run with nothing erased or cancelled. MountCollector runs it after
// removals.
#include "host/collection.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sodium.h>

#include <set>

#include "../common/must.h"
#include "client/version_check.h"
#include "common/wall_clock.h"
#include "fs/pins.h"
#include "fs/version_view.h"
#include "host/mount_collector.h"
#include "host_fs.h"
#include "keys/signing_key.h"
#include "store/collecting_store.h"
#include "store/memory_store.h"

namespace peerstore::host {
namespace {

using test::must;
using test_fs::me;
using test_fs::options;
constexpr uint64_t kRoot = NodeTable::kRootIno;
const RetentionPolicy kKeepCurrent{std::chrono::seconds(0), std::chrono::seconds(0),
                                   std::chrono::seconds(0), std::chrono::seconds(0)};

std::set<BlockId> ids_of(LocalStore& s) {
  std::set<BlockId> out;
  REQUIRE(s.for_each_id([&](const BlockId& id, size_t) { return out.insert(id), true; }).ok());
  return out;
}

std::set<BlockId> minus(const std::set<BlockId>& a, const std::set<BlockId>& b) {
  std::set<BlockId> out;
  for (auto& id : a)
    if (!b.count(id)) out.insert(id);
  return out;
}

uint64_t write_in(FileSystem& fs, const std::string& name, const Bytes& data) {
  EntryOut e;
  REQUIRE(fs.create(me(), kRoot, name, 0644, O_RDWR, &e) == 0);
  REQUIRE(fs.write(e.ino, 0, data) == ssize_t(data.size()));
  REQUIRE(fs.release(e.ino) == 0);
  REQUIRE(fs.commit() == 0);
  return e.ino;
}

Bytes read_in(FileSystem& fs, const std::string& name) {
  EntryOut e;
  REQUIRE(fs.lookup(kRoot, name, &e) == 0);
  REQUIRE(fs.open(e.ino, O_RDONLY) == 0);
  Bytes out;
  REQUIRE(fs.read(e.ino, 0, 8 << 20, &out) == 0);
  REQUIRE(fs.release(e.ino) == 0);
  fs.forget(e.ino, 1);
  return out;
}

struct Home {
  MemoryStore mem;
  CollectingStore front{mem};
  SigningKey user = SigningKey::generate();
  PublicKey device = SigningKey::generate().public_key();
  std::unique_ptr<FileSystem> fs = must(FileSystem::open(
      must(Volume::open(front, VolumeKeys::derive_home(user), device)), options(), me()));
  // What the sources saw.
  std::set<BlockId> cancelled;
  size_t cancels = 0;
  std::set<BlockId> waiting;
  std::function<void()> after_commit;

  CollectionSources sources(RetentionPolicy policy = kKeepCurrent) {
    CollectionSources s;
    s.store = &front;
    s.reader = &front;
    s.keys = VolumeKeys::derive_home(user);
    s.device = device;
    s.policy = policy;
    s.pins = [this] { return read_pins(*fs); };
    s.commit = [this]() -> Status {
      if (fs->commit() != 0) return fail(Errc::io, "commit");
      if (after_commit) after_commit();
      return {};
    };
    s.open_unlinked = [this] { return fs->open_unlinked(); };
    s.waiting = [this](const std::vector<BlockId>& ids) {
      std::vector<bool> out;
      for (auto& id : ids) out.push_back(waiting.count(id) > 0);
      return out;
    };
    // The claims this device holds: every block in the store (a model of the claim book).
    s.cancel = [this](const CollectionSources::Reached& reached) -> Result<Claimant::Counts> {
      ++cancels;
      Claimant::Counts c;
      for (auto& id : ids_of(mem))
        if (!reached(id) && cancelled.insert(id).second) ++c.sent;
      return c;
    };
    s.erase = [this](std::vector<BlockId> ids,
                     std::shared_ptr<const WriteMark> mark) -> Result<uint64_t> {
      auto before = ids_of(mem).size();
      WriteBatch b;
      b.erase = std::move(ids);
      b.erase_guard = std::move(mark);
      PS_TRY(front.write(b));
      return uint64_t(before - ids_of(mem).size());
    };
    return s;
  }

  uint64_t write_file(const std::string& name, const Bytes& data) {
    return write_in(*fs, name, data);
  }
  Bytes read_file(const std::string& name) { return read_in(*fs, name); }
};

// A linked volume (a shared folder) the home's device writes, over the same store.
struct Linked {
  explicit Linked(Home& home) : h(home) {}
  Home& h;
  SigningKey owner = SigningKey::generate();
  std::unique_ptr<FileSystem> fs = must(FileSystem::open(
      must(Volume::open(h.front, VolumeKeys::derive_home(owner), h.device)), options(), me()));
  std::set<BlockId> mine;  // its blocks: the claims it holds, in this model
  std::set<BlockId> cancelled;
  size_t cancels = 0;
  bool fail_commit = false;

  uint64_t write_file(const std::string& name, const Bytes& data) {
    auto before = ids_of(h.mem);
    uint64_t ino = write_in(*fs, name, data);
    for (auto& id : minus(ids_of(h.mem), before)) mine.insert(id);
    return ino;
  }
  // `s` with this volume as its one linked volume.
  void link_into(CollectionSources& s) {
    s.linked = [this] {
      std::vector<LinkedSource> out;
      out.push_back(source());
      return out;
    };
  }
  LinkedSource source() {
    LinkedSource l;
    l.keys = VolumeKeys::derive_home(owner);
    l.pins = [this] { return read_pins(*fs); };
    l.commit = [this]() -> Status {
      if (fail_commit) return fail(Errc::io, "commit");
      return fs->commit() == 0 ? Status() : fail(Errc::io, "commit");
    };
    l.open_unlinked = [this] { return fs->open_unlinked(); };
    l.cancel = [this](const LinkedSource::Reached& reached) -> Result<Claimant::Counts> {
      ++cancels;
      Claimant::Counts c;
      for (auto& id : mine)
        if (!reached(id) && cancelled.insert(id).second) ++c.sent;
      return c;
    };
    return l;
  }
};

Bytes random_bytes(size_t n) {
  Bytes b(n);
  randombytes_buf(b.data(), n);
  return b;
}

// Every retained version of the home volume reads whole: the fsck of what a collection keeps.
void check_retained(Home& h, const RetentionPolicy& policy) {
  auto volume = must(Volume::open(h.front, reader_keys(VolumeKeys::derive_home(h.user)), h.device));
  client::VersionsOptions o;
  o.policy = policy;
  o.pins = read_pins(*h.fs);
  o.now_ns = wall_clock_ns();
  auto report = client::check_versions(*volume, {}, o);
  CHECK(report.checked >= 1);
  for (auto& d : report.damaged) FAIL_CHECK("version " << d.head.short_hex() << ": " << d.error);
}

TEST_CASE("collection: a deleted file's blocks go, and what the current version reaches stays") {
  Home h;
  Bytes kept = random_bytes(300 << 10), gone = random_bytes(1 << 20);  // 5 and 16 chunks
  h.write_file("kept", kept);
  auto before = ids_of(h.mem);
  h.write_file("gone", gone);
  auto of_gone = minus(ids_of(h.mem), before);  // its chunks, its tree, one version's blocks
  REQUIRE(of_gone.size() >= 16);
  REQUIRE(h.fs->unlink(kRoot, "gone") == 0);
  REQUIRE(h.fs->commit() == 0);
  auto all = ids_of(h.mem);

  auto r = must(collect(h.sources(), wall_clock_ns()));
  CHECK(r.versions == 1);
  CHECK(r.history == 3);  // the three commits' head blocks stay: the next walk follows them
  auto left = ids_of(h.mem);
  size_t of_gone_left = 0;
  for (auto& id : of_gone) of_gone_left += left.count(id);
  CHECK(of_gone_left == 1);  // the head block of the version that had it
  // Also the first version's tree went: retention keeps only the current one.
  CHECK(r.erased == r.unmarked);
  CHECK(r.erased >= of_gone.size() - 1);
  // The claims cancelled are exactly the blocks that went.
  CHECK(h.cancelled == minus(all, left));
  CHECK(h.cancelled.size() == r.erased);
  CHECK(h.read_file("kept") == kept);
  check_retained(h, kKeepCurrent);

  // Nothing more to do the second time.
  auto again = must(collect(h.sources(), wall_clock_ns()));
  CHECK(again.erased == 0);
  CHECK(again.unmarked == 0);
}

TEST_CASE("collection: a version retention keeps keeps its blocks, readable") {
  Home h;
  Bytes data = random_bytes(200 << 10);
  h.write_file("f", data);
  REQUIRE(h.fs->unlink(kRoot, "f") == 0);
  RetentionPolicy hour;  // the default: every version of the last hour
  auto r = must(collect(h.sources(hour), wall_clock_ns()));
  CHECK(r.versions >= 2);
  CHECK(r.erased == 0);
  CHECK(h.cancelled.empty());
  check_retained(h, hour);
  // Past the hour only the current version is kept, and the file's blocks go.
  auto later = must(collect(h.sources(hour), wall_clock_ns() + int64_t(3) * 3600 * 1000000000));
  CHECK(later.erased >= 4);
}

TEST_CASE("collection: an open file with no name left keeps its content until it is closed") {
  Home h;
  Bytes data = random_bytes(256 << 10);
  uint64_t ino = h.write_file("open", data);
  EntryOut e;
  REQUIRE(h.fs->lookup(kRoot, "open", &e) == 0);
  REQUIRE(h.fs->open(ino, O_RDONLY) == 0);
  REQUIRE(h.fs->unlink(kRoot, "open") == 0);
  auto r = must(collect(h.sources(), wall_clock_ns()));
  CHECK(r.open_unlinked == 1);
  Bytes out;
  REQUIRE(h.fs->read(ino, 0, data.size(), &out) == 0);
  CHECK(out == data);
  REQUIRE(h.fs->release(ino) == 0);
  h.fs->forget(ino, 1);
  auto closed = must(collect(h.sources(), wall_clock_ns()));
  CHECK(closed.open_unlinked == 0);
  CHECK(closed.erased >= 4);
}

TEST_CASE("collection: blocks waiting for upload, or written anew during the run, stay") {
  Home h;
  Bytes a = random_bytes(256 << 10), b = random_bytes(256 << 10);
  auto before = ids_of(h.mem);
  h.write_file("a", a);
  auto of_a = minus(ids_of(h.mem), before);
  before = ids_of(h.mem);
  h.write_file("b", b);
  auto of_b = minus(ids_of(h.mem), before);
  REQUIRE(h.fs->unlink(kRoot, "a") == 0);
  REQUIRE(h.fs->unlink(kRoot, "b") == 0);
  // a's blocks wait for upload; b's chunks are written again by another writer after the mark
  // (a new file with the same bytes, whose commit comes later).
  h.waiting = of_a;
  h.after_commit = [&] {
    std::vector<BlockRecord> again;
    for (auto& id : of_b) again.push_back(BlockRecord{id, *h.mem.get(id)});
    REQUIRE(h.front.put(again).ok());
  };
  auto r = must(collect(h.sources(), wall_clock_ns()));
  CHECK(r.waiting == of_a.size() - 1);  // all but a's head block, which the history keeps
  CHECK(r.erased == 0);
  auto left = ids_of(h.mem);
  for (auto& id : of_a) CHECK(left.count(id));
  for (auto& id : of_b) CHECK(left.count(id));
  // Uploaded and not written again, they go.
  h.waiting.clear();
  h.after_commit = nullptr;
  auto next = must(collect(h.sources(), wall_clock_ns()));
  CHECK(next.erased == of_a.size() + of_b.size() - 2);
}

TEST_CASE("collection: a version that cannot be read ends the run with nothing erased") {
  Home h;
  h.write_file("one", random_bytes(100 << 10));
  Head first = *h.fs->volume().head();
  h.write_file("two", random_bytes(100 << 10));
  REQUIRE(h.fs->unlink(kRoot, "one") == 0);
  REQUIRE(h.fs->commit() == 0);
  // The first version's head block is lost: the walk of the history cannot go past it.
  WriteBatch lose;
  lose.erase = {first.hash()};
  REQUIRE(h.mem.write(lose).ok());
  auto count = ids_of(h.mem).size();
  auto r = collect(h.sources(), wall_clock_ns());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message().find(first.hash().short_hex()) != std::string::npos);
  CHECK(ids_of(h.mem).size() == count);
  CHECK(h.cancels == 0);

  // A store that keeps no write history cannot be collected.
  CollectionSources s = h.sources();
  s.store = &h.mem;
  auto unguarded = collect(s, wall_clock_ns());
  REQUIRE_FALSE(unguarded.ok());
  CHECK(unguarded.code() == Errc::invalid);
}

TEST_CASE("collection: under space pressure the oldest automatic snapshots go, pins never") {
  Home h;
  // Four versions of the last hour, each with one file (f0..f3), then the pin's commit.
  std::vector<std::set<BlockId>> of;  // the blocks of file i
  std::vector<Id256> version;         // the version that has file i
  for (int i = 0; i < 4; ++i) {
    if (i > 0) REQUIRE(h.fs->unlink(kRoot, "f" + std::to_string(i - 1)) == 0);
    auto before = ids_of(h.mem);
    h.write_file("f" + std::to_string(i), random_bytes(200 << 10));  // commits
    of.push_back(minus(ids_of(h.mem), before));
    version.push_back(h.fs->volume().head()->hash());
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // distinct times
  }
  REQUIRE(add_pin(*h.fs, Pin{"keep-f1", version[1], wall_clock_ns(), ""}) == 0);
  REQUIRE(h.fs->commit() == 0);
  // How many of the blocks file i's commit added are left: its 4 chunks and their tree node
  // stay while a kept version holds the file; the tree blocks of that commit's version go with
  // it (even when the file lives on in a later version); its head block always stays.
  auto left_of = [&](int i) {
    auto left = ids_of(h.mem);
    size_t n = 0;
    for (auto& id : of[i]) n += left.count(id);
    return n;
  };
  auto held = [&](int i) { return left_of(i) >= 5; };
  RetentionPolicy hour;  // the default: every version of the last hour
  int64_t floor = 0;
  CollectionSources s = h.sources(hour);
  s.floor = [&] { return floor; };
  s.under_pressure = [] { return true; };
  s.thin = [&](int64_t ns) -> Status {
    floor = ns;
    return {};
  };
  // Not under pressure, everything of the hour is kept.
  CollectionSources calm = h.sources(hour);
  CHECK(must(collect(calm, wall_clock_ns())).erased == 0);
  // The automatic snapshots: the versions of f0, f2 and f3 (f1's is pinned; the pin's commit
  // is the current one, with f3). The oldest half goes first: those of f0 and f2, and the
  // blocks only they held.
  auto r = must(collect(s, wall_clock_ns()));
  CHECK(r.thinned == 2);
  CHECK(floor > 0);
  CHECK(left_of(0) == 1);
  CHECK(left_of(2) == 1);
  CHECK(left_of(1) == of[1].size());  // pinned
  CHECK(held(3));                     // current
  // Again and again: the last automatic one goes, never the pin or the current version.
  for (int round = 0; round < 3; ++round) (void)must(collect(s, wall_clock_ns()));
  CHECK(left_of(1) == of[1].size());
  CHECK(held(3));
  CHECK(left_of(3) < of[3].size());  // its version's own tree blocks went
  CHECK(h.read_file("f3").size() == size_t(200 << 10));
  RetentionPolicy thinned = hour;  // what is kept now reads whole
  thinned.floor_ns = floor;
  check_retained(h, thinned);
}

TEST_CASE("mount collector: removals start a run after the delay") {
  Home h;
  auto before = ids_of(h.mem);
  h.write_file("f", random_bytes(256 << 10));
  auto of_f = minus(ids_of(h.mem), before);
  REQUIRE(h.fs->unlink(kRoot, "f") == 0);
  MountCollector::Options o;
  o.delay = std::chrono::milliseconds(50);
  o.max_delay = std::chrono::milliseconds(200);
  MountCollector gc(h.sources(), o);
  CHECK(gc.stats().runs == 0);
  gc.removed();
  for (int i = 0; i < 500 && gc.stats().runs == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(gc.stats().runs == 1);
  CHECK(gc.stats().last.erased >= 4);
  auto left = ids_of(h.mem);
  size_t of_f_left = 0;
  for (auto& id : of_f) of_f_left += left.count(id);
  CHECK(of_f_left == 1);  // its version's head block
  auto r = must(gc.run_now());
  CHECK(r.erased == 0);
  CHECK(gc.stats().runs == 2);
}

TEST_CASE("mount collector: a burst of removals wakes its thread once, not once per file") {
  Home h;
  MountCollector::Options o;
  o.delay = std::chrono::milliseconds(500);
  o.max_delay = std::chrono::seconds(5);
  MountCollector gc(h.sources(), o);
  auto woke = gc.stats().wakeups;
  for (int i = 0; i < 300; ++i) {  // rm -rf: one unlink after another, under the FS's lock
    gc.removed();
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  // The first removal brings the run closer and wakes the thread; the others only move it
  // later, which the thread sees when it wakes for the first one's time.
  CHECK(gc.stats().wakeups - woke <= 2);
  CHECK(gc.stats().runs == 0);
  for (int i = 0; i < 500 && gc.stats().runs == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(gc.stats().runs == 1);
}

TEST_CASE("collection: a linked volume's deleted file goes, and its claims are its own") {
  Home h;
  Linked shared(h);
  Bytes home_file = random_bytes(200 << 10), kept = random_bytes(300 << 10),
        gone = random_bytes(1 << 20);
  h.write_file("h", home_file);
  shared.write_file("kept", kept);
  auto before = ids_of(h.mem);
  shared.write_file("gone", gone);
  auto of_gone = minus(ids_of(h.mem), before);
  REQUIRE(of_gone.size() >= 16);
  REQUIRE(shared.fs->unlink(kRoot, "gone") == 0);  // not committed yet: the run commits it
  auto s = h.sources();
  shared.link_into(s);

  auto r = must(collect(s, wall_clock_ns()));
  CHECK(r.linked == 1);
  CHECK(r.linked_failed == 0);
  CHECK(describe(r).find("1 shared folders") != std::string::npos);
  auto left = ids_of(h.mem);
  size_t of_gone_left = 0;
  for (auto& id : of_gone) of_gone_left += left.count(id);
  CHECK(of_gone_left == 1);  // the head block of the version that had it
  // The linked volume's cancel took its own unreached blocks: the deleted file's.
  CHECK(shared.cancels == 1);
  CHECK(shared.cancelled == minus(shared.mine, left));
  CHECK(shared.cancelled.size() >= 16);
  // Both volumes read whole.
  CHECK(h.read_file("h") == home_file);
  CHECK(read_in(*shared.fs, "kept") == kept);
  check_retained(h, kKeepCurrent);
}

TEST_CASE("collection: each retained version is claimed in its volume's name, or nothing goes") {
  Home h;
  Linked shared(h);
  h.write_file("a", random_bytes(100 << 10));
  h.write_file("b", random_bytes(100 << 10));
  shared.write_file("c", random_bytes(100 << 10));
  auto s = h.sources(RetentionPolicy{});  // every version of the last hour
  shared.link_into(s);
  std::map<VolumeId, std::set<Id256>> claimed;
  auto claim = [&](Volume& v, const Head& head) -> Status {
    claimed[v.keys().id()].insert(head.hash());
    return {};
  };
  s.claim = claim;
  auto linked = s.linked;
  s.linked = [&] {
    auto out = linked();
    for (auto& l : out) l.claim = claim;
    return out;
  };
  auto r = must(collect(s, wall_clock_ns()));
  CHECK(claimed[VolumeKeys::derive_home(h.user).id()].size() == r.versions - 1);
  CHECK(claimed[VolumeKeys::derive_home(shared.owner).id()].size() == 1);
  CHECK(claimed.size() == 2);

  // A claim the ring refuses ends the run before anything is cancelled or erased.
  REQUIRE(h.fs->unlink(kRoot, "a") == 0);
  size_t cancels = h.cancels;
  s.claim = [](Volume&, const Head&) -> Status { return fail(Errc::unavailable, "no ring"); };
  auto refused = collect(s, wall_clock_ns() + int64_t(3) * 3600 * 1000000000);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message().find("no ring") != std::string::npos);
  CHECK(h.cancels == cancels);
}

TEST_CASE("collection: a linked volume that cannot be committed keeps its claims, the rest goes") {
  Home h;
  Linked shared(h);
  shared.write_file("kept", random_bytes(300 << 10));
  h.write_file("gone", random_bytes(1 << 20));
  REQUIRE(h.fs->unlink(kRoot, "gone") == 0);
  shared.fail_commit = true;
  auto s = h.sources();
  shared.link_into(s);
  auto r = must(collect(s, wall_clock_ns()));
  CHECK(r.linked == 0);
  CHECK(r.linked_failed == 1);
  CHECK(r.linked_error.find(VolumeKeys::derive_home(shared.owner).id().short_hex()) !=
        std::string::npos);
  CHECK(shared.cancels == 0);
  CHECK(h.cancels == 1);
  CHECK(r.erased >= 16);  // the home volume's deleted file went all the same
}

TEST_CASE("collection: a run whose commit's uploads are still queued at its cancel says so") {
  Home h;
  h.write_file("f", random_bytes(100 << 10));
  auto s = h.sources();
  std::vector<std::string> calls;
  uint64_t queued = 0, done_up_to = 0;
  h.after_commit = [&] { calls.push_back("commit"), queued = 7; };
  s.upload_ticket = [&] { return calls.push_back("ticket"), queued; };
  s.uploaded = [&](uint64_t ticket) { return calls.push_back("uploaded"), ticket <= done_up_to; };
  auto cancel = s.cancel;
  s.cancel = [&](const CollectionSources::Reached& reached) {
    calls.push_back("cancel");
    return cancel(reached);
  };
  auto r = must(collect(s, wall_clock_ns()));
  CHECK(r.behind);
  // The ticket is the commit's own, and its uploads are asked about before the cancel.
  CHECK(calls == std::vector<std::string>{"commit", "ticket", "uploaded", "cancel"});
  CHECK(describe(r).find("uploads behind") != std::string::npos);
  done_up_to = 7;
  CHECK_FALSE(must(collect(s, wall_clock_ns())).behind);
}

TEST_CASE("collection: the collector runs again by itself while uploads are behind, then stops") {
  Home h;
  h.write_file("f", random_bytes(100 << 10));
  auto s = h.sources();
  std::atomic<int> behind_runs{2};  // the first two runs find the uploads behind
  s.upload_ticket = [] { return uint64_t(1); };
  s.uploaded = [&](uint64_t) { return behind_runs.fetch_sub(1) <= 0; };
  MountCollector::Options o;
  o.delay = std::chrono::milliseconds(50);
  o.max_delay = std::chrono::milliseconds(200);
  MountCollector gc(std::move(s), o);
  gc.removed();
  // One run after the removal, then follow-ups 50 and 100 ms later, with no removal between.
  for (int i = 0; i < 500 && gc.stats().runs < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(gc.stats().runs == 3);
  CHECK_FALSE(gc.stats().last.behind);
  // Caught up: no more runs until the next removal or the hourly one.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(gc.stats().runs == 3);
}

}  // namespace
}  // namespace peerstore::host
