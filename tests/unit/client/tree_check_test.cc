// `peerstore fsck` (client::check_tree): every directory, file and link of a tree is read; a
// file with a damaged or missing block is reported by its path, and only that file; a file with
// two names is read once; a start that does not exist is an error; a stop is honoured.
#include "client/tree_check.h"

#include <doctest/doctest.h>

#include <set>

#include "../fs/fs_harness.h"

namespace peerstore::client {
namespace {

using test::FsHarness;
using test::kRoot;

// /docs/a.txt (inline), /docs/big.bin (3 chunks), /docs/again.bin (a second name of big.bin),
// /photos/, /link -> docs/a.txt; then /photos/victim.bin (3 chunks). Returns the victim's full
// chunks: the large blocks its write added.
std::set<BlockId> build_tree(FsHarness& h) {
  uint64_t docs = h.mkdir(kRoot, "docs");
  uint64_t photos = h.mkdir(kRoot, "photos");
  h.write(h.create(docs, "a.txt"), 0, std::string("hello"));
  uint64_t big = h.create(docs, "big.bin");
  h.write(big, 0, test::pattern(150'000, 1));
  EntryOut out;
  REQUIRE(h.fs->link(big, docs, "again.bin", &out) == 0);
  h.symlink(kRoot, "link", "docs/a.txt");
  REQUIRE(h.fs->commit() == 0);
  auto before = test::block_ids_over(h.store, 60'000);
  h.write(h.create(photos, "victim.bin"), 0, test::pattern(140'000, 2));
  REQUIRE(h.fs->commit() == 0);
  std::set<BlockId> added;
  for (auto& id : test::block_ids_over(h.store, 60'000))
    if (!before.count(id)) added.insert(id);
  REQUIRE(added.size() == 2);
  return added;
}

TEST_CASE("fsck: a whole tree reads back: every entry counted, nothing damaged") {
  FsHarness h;
  build_tree(h);
  h.reopen();
  auto r = check_tree(*h.fs, CheckOptions{});
  REQUIRE(r.ok());
  CHECK(r->damaged.empty());
  CHECK_FALSE(r->stopped);
  CHECK(r->counts.dirs == 3);
  CHECK(r->counts.files == 3);  // a.txt, big.bin once under two names, victim.bin
  CHECK(r->counts.symlinks == 1);
  CHECK(r->counts.bytes == 5 + 150'000 + 140'000);
}

TEST_CASE("fsck: a damaged block names its file, and only that file") {
  FsHarness h;
  auto victim_chunks = build_tree(h);
  REQUIRE(h.fs->commit() == 0);
  h.fs.reset();
  test::TamperingStore tampering(h.store);
  tampering.tamper(*victim_chunks.begin());
  auto fs = test::open_fs(tampering);
  std::vector<std::string> found;
  CheckOptions o;
  o.found = [&](const Damage& d) { found.push_back(d.path); };
  auto r = check_tree(*fs, o);
  REQUIRE(r.ok());
  REQUIRE(r->damaged.size() == 1);
  CHECK(r->damaged[0].path == "/photos/victim.bin");
  CHECK_FALSE(r->damaged[0].error.empty());
  CHECK(found == std::vector<std::string>{"/photos/victim.bin"});
  CHECK(r->counts.files == 3);
  // Below another path the damage is not seen; on the file itself it is.
  o.found = nullptr;
  o.tree_path = "/docs";
  CHECK(check_tree(*fs, o)->damaged.empty());
  o.tree_path = "/photos/victim.bin";
  CHECK(check_tree(*fs, o)->damaged.size() == 1);
}

TEST_CASE("fsck: a block missing from the store names its file") {
  FsHarness h;
  auto victim_chunks = build_tree(h);
  REQUIRE(h.fs->commit() == 0);
  h.fs.reset();
  WriteBatch erase;
  erase.erase.push_back(*victim_chunks.rbegin());
  REQUIRE(h.store.write(erase).ok());
  h.fs = test::open_fs(h.store);
  auto r = check_tree(*h.fs, CheckOptions{});
  REQUIRE(r.ok());
  REQUIRE(r->damaged.size() == 1);
  CHECK(r->damaged[0].path == "/photos/victim.bin");
}

TEST_CASE("fsck: a path that is not there is an error; a stop is honoured") {
  FsHarness h;
  build_tree(h);
  CheckOptions o;
  o.tree_path = "/nope";
  CHECK(check_tree(*h.fs, o).code() == Errc::not_found);
  std::atomic<bool> stop{true};
  o.tree_path = "/";
  o.stop = &stop;
  auto r = check_tree(*h.fs, o);
  REQUIRE(r.ok());
  CHECK(r->stopped);
  CHECK(r->counts.files == 0);
}

}  // namespace
}  // namespace peerstore::client
