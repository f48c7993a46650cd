// The links of received shares (FileSystem::place_link, remove_link, links_below): placed at
// /shared/OWNER/FOLDER with numbers derived from the path, so two computers of the user that
// place the same share at once converge on one link with no conflict copy; a newer volume
// replaces the link; removing the last share of an owner removes the owner's directory; and
// something of the user's own in the way is never replaced.
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "../common/must.h"
#include "sync_harness.h"

namespace peerstore {
namespace {

using namespace test;

const std::vector<std::string> kPath{"shared", "psu1owner", "proj"};

Secret link_bytes(const std::string& text) {
  return Secret(to_bytes(text));
}

ByteView volume_of(const Id256& id) {
  return ByteView(id.b.data(), id.b.size());
}

Id256 some_volume(uint8_t fill) {
  Id256 v;
  v.b.fill(fill);
  return v;
}

TEST_CASE("place_link: two computers placing the same share converge on one link") {
  NetworkLikeStore net;
  Computer a(net, 1), b(net, 2);
  a.create(kRoot, "mine.txt");
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  Id256 v = some_volume(5);
  std::map<std::string, Bytes> attrs{{"peerstore.slot", Bytes(64, 1)}};
  for (Computer* c : {&a, &b})
    REQUIRE(c->fs->place_link(root_caller(), kPath, link_bytes("grant"), volume_of(v), attrs,
                              1700000000000000000) == 0);
  REQUIRE(a.fs->commit() == 0);
  REQUIRE(b.fs->commit() == 0);
  converge({&a, &b});
  for (Computer* c : {&a, &b}) {
    CHECK(c->list(kRoot) == std::vector<std::string>{"mine.txt", "shared"});
    uint64_t shared = c->lookup(kRoot, "shared");
    CHECK(c->list(shared) == std::vector<std::string>{"psu1owner"});
    CHECK(c->list(c->lookup(shared, "psu1owner")) == std::vector<std::string>{"proj"});
    std::vector<FileSystem::FoundLink> found;
    REQUIRE(c->fs->links_below({"shared"}, &found) == 0);
    REQUIRE(found.size() == 1);
    CHECK(found[0].path == kPath);
    CHECK(*found[0].link == link_bytes("grant"));
    CHECK(found[0].xattrs == attrs);
  }
  CHECK(a.table() == b.table());
}

TEST_CASE("place_link: a newer volume replaces the link; the last share takes its owner's folder") {
  FsHarness h;
  REQUIRE(h.fs->place_link(root_caller(), kPath, link_bytes("epoch 0"), volume_of(some_volume(1)),
                           {}, 1) == 0);
  uint64_t owner = h.lookup(h.lookup(kRoot, "shared"), "psu1owner");
  uint64_t first = h.lookup(owner, "proj");
  // The same share again: nothing changes.
  REQUIRE(h.fs->place_link(root_caller(), kPath, link_bytes("epoch 0"), volume_of(some_volume(1)),
                           {}, 1) == 0);
  CHECK(h.lookup(owner, "proj") == first);
  // A new volume (a revoke rotated it): a new link in its place.
  REQUIRE(h.fs->place_link(root_caller(), kPath, link_bytes("epoch 1"), volume_of(some_volume(2)),
                           {}, 2) == 0);
  uint64_t second = h.lookup(owner, "proj");
  CHECK(second != first);
  std::shared_ptr<const Secret> bytes;
  REQUIRE(h.fs->link_of(second, &bytes) == 0);
  CHECK(*bytes == link_bytes("epoch 1"));
  h.reopen();
  CHECK(h.lookup(owner, "proj") == second);

  REQUIRE(h.fs->remove_link(kPath) == 0);
  uint64_t shared = h.lookup(kRoot, "shared");
  CHECK(h.list(shared).empty());  // the owner's folder went with its last share
  CHECK(h.fs->remove_link(kPath) == ENOENT);
}

TEST_CASE("place_link: what the user made in the way is never replaced") {
  FsHarness h;
  uint64_t shared = h.mkdir(kRoot, "shared");  // the user's own folder of that name is used
  uint64_t owner = h.mkdir(shared, "psu1owner");
  h.write(h.create(owner, "proj"), 0, std::string("a file of mine"));
  CHECK(h.fs->place_link(root_caller(), kPath, link_bytes("g"), volume_of(some_volume(1)), {}, 1) ==
        EEXIST);
  CHECK(h.read_all(h.lookup(owner, "proj")) == to_bytes("a file of mine"));
  CHECK(h.fs->remove_link(kPath) == EEXIST);  // no link: left alone
  CHECK(h.lookup(owner, "proj") != 0);
  // Bad names are refused before anything is made.
  CHECK(h.fs->place_link(root_caller(), {"shared", "..", "x"}, link_bytes("g"),
                         volume_of(some_volume(1)), {}, 1) == EINVAL);
  CHECK(h.fs->place_link(root_caller(), {"shared", "a/b", "x"}, link_bytes("g"),
                         volume_of(some_volume(1)), {}, 1) == EINVAL);
}

// The kernel, told of a change, may wait for a request that waits for the file system's lock:
// a share placed or removed under that lock must not wait for the notifier meanwhile. Before
// the fix, remove_link waited for the notifier's lock while holding the tree's, and a mount hung
// (the e2e sharing case, when a petname moved a share).
TEST_CASE("place_link / remove_link: a notifier in progress does not hold them up") {
  FsHarness h;
  std::mutex m;
  std::condition_variable cv;
  bool entered = false, removed = false, removed_while_notifying = false;
  h.fs->set_notifier([&](const FileSystem::Invalidation&) {
    std::unique_lock lock(m);
    entered = true;
    cv.notify_all();
    // As the kernel would: it waits for what a request (here, the remove) finishes first.
    cv.wait_for(lock, std::chrono::seconds(3), [&] { return removed; });
    removed_while_notifying = removed_while_notifying || removed;
  });
  REQUIRE(h.fs->place_link(root_caller(), kPath, link_bytes("g"), volume_of(some_volume(1)), {},
                           1) == 0);
  std::thread notifying([&] { h.fs->sync(); });
  {
    std::unique_lock lock(m);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return entered; }));
  }
  CHECK(h.fs->remove_link(kPath) == 0);
  {
    std::lock_guard lock(m);
    removed = true;
    cv.notify_all();
  }
  notifying.join();
  h.fs->set_notifier(nullptr);
  CHECK(removed_while_notifying);
}

}  // namespace
}  // namespace peerstore
