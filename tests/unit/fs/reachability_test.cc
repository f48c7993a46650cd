// Reachability (fs/reachability.h), the collector's mark: it must reach every block a version
// needs and nothing else, walk only what earlier marks did not cover, and fail on a block it
// cannot read. The last case sweeps what the current version does not reach and reads every
// file back: the property the collector stands on.
#include "fs/reachability.h"

#include <doctest/doctest.h>

#include <set>

#include "../common/must.h"
#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;

constexpr size_t kChunk = ChunkTree::kChunkSize;

std::set<BlockId> ids_in(LocalStore& store) {
  std::set<BlockId> out;
  REQUIRE(store
              .for_each_id([&](const BlockId& id, size_t) {
                out.insert(id);
                return true;
              })
              .ok());
  return out;
}

// Counts block reads, to see what a walk skipped.
class CountingStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<Bytes> get(const BlockId& id) override {
    ++reads;
    return inner_.get(id);
  }
  int reads = 0;
};

// The current head and every ancestor, newest first.
std::vector<Head> history(Volume& v) {
  std::vector<Head> out;
  std::optional<Head> h = v.head();
  while (h) {
    out.push_back(*h);
    if (h->parents.empty()) break;
    REQUIRE(h->parents.size() == 1);  // one computer: a line
    h = must(v.load_head(h->parents[0]));
  }
  return out;
}

std::unique_ptr<Volume> open_volume(LocalStore& store) {
  return must(Volume::open(store, test_volume_keys(), test_device()));
}

// A tree with every kind of content: inline, one-chunk and multi-chunk files, a sparse file
// two levels deep, the same chunk in two files, a directory and an inode table large enough
// to split, a hard link, a symlink, an xattr.
struct Tree {
  uint64_t small, one_chunk, three_chunks, sparse, twin, dir;
  static constexpr int kNames = 1500;

  explicit Tree(FsHarness& h) {
    small = h.create(kRoot, "small");
    h.write(small, 0, pattern(100, 1));
    one_chunk = h.create(kRoot, "one-chunk");
    h.write(one_chunk, 0, pattern(10000, 2));
    three_chunks = h.create(kRoot, "three-chunks");
    h.write(three_chunks, 0, pattern(3 * kChunk, 3));
    sparse = h.create(kRoot, "sparse");
    h.write(sparse, uint64_t(1024) * kChunk, pattern(10, 4));  // chunk 1024: depth 2
    twin = h.create(kRoot, "twin");
    h.write(twin, 0, pattern(3 * kChunk, 3));  // the same chunks as three-chunks
    dir = h.mkdir(kRoot, "dir");
    for (int i = 0; i < kNames; ++i) h.create(dir, "name-" + std::to_string(i));
    EntryOut e;
    REQUIRE(h.fs->link(small, dir, "hard-link", &e) == 0);
    h.symlink(dir, "symlink", "../small");
    REQUIRE(h.fs->setxattr(one_chunk, "user.note", to_bytes("kept"), 0) == 0);
    REQUIRE(h.fs->commit() == 0);
  }

  void check(FsHarness& h) const {
    CHECK(h.read_all(h.lookup(kRoot, "small")) == pattern(100, 1));
    CHECK(h.read_all(h.lookup(kRoot, "one-chunk")) == pattern(10000, 2));
    CHECK(h.read(h.lookup(kRoot, "sparse"), uint64_t(1024) * kChunk, 10) == pattern(10, 4));
    CHECK(h.read_all(h.lookup(kRoot, "twin")) == pattern(3 * kChunk, 3));
    uint64_t d = h.lookup(kRoot, "dir");
    CHECK(h.list(d).size() == kNames + 2);
    CHECK(h.lookup(d, "hard-link") == h.lookup(kRoot, "small"));
  }
};

TEST_CASE("reachability: the versions committed reach every block stored, and only those") {
  FsHarness h;
  Tree t(h);
  auto v = open_volume(h.store);
  MarkSet marks;
  for (const Head& head : history(*v)) REQUIRE(mark_version(*v, head, marks).ok());
  marks.seal();
  // Nothing was overwritten, so every block belongs to some version.
  std::set<BlockId> stored = ids_in(h.store);
  for (const BlockId& id : stored) CHECK_MESSAGE(marks.may_contain(id), id.short_hex());
  CHECK(marks.interior_count() + marks.leaf_count() == stored.size());
  // The tree has the shapes it is meant to test: split tries, a deep chunk tree.
  CHECK(marks.interior_count() > 10);
  t.check(h);
}

TEST_CASE("reachability: a second version costs the walk of what changed, not of the tree") {
  MemoryStore backing;
  CountingStore counting(backing);
  FsHarness h;
  h.fs.reset();
  h.fs = open_fs(counting);
  Tree t(h);
  auto v = open_volume(counting);
  MarkSet marks;
  int before = counting.reads;
  REQUIRE(mark_version(*v, *v->head(), marks).ok());
  int first_walk = counting.reads - before;

  std::set<BlockId> old_ids = ids_in(backing);
  h.write(t.sparse, 0, pattern(kChunk, 9));  // one new chunk in the deep file
  REQUIRE(h.fs->commit() == 0);
  v = open_volume(counting);
  size_t new_blocks = ids_in(backing).size() - old_ids.size();
  before = counting.reads;
  REQUIRE(mark_version(*v, *v->head(), marks).ok());
  int second_walk = counting.reads - before;
  MESSAGE("reads: the first version " << first_walk << ", the second " << second_walk << " ("
                                      << new_blocks << " new blocks)");
  CHECK(second_walk <= int(new_blocks));
  CHECK(second_walk * 10 < first_walk);
  // Marking a version again reads nothing.
  before = counting.reads;
  REQUIRE(mark_version(*v, *v->head(), marks).ok());
  CHECK(counting.reads - before == 0);
}

// Answers not_found for one block once told to, as a disk or the network that lost it.
class HidingStore final : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  Result<Bytes> get(const BlockId& id) override {
    if (hidden && id == *hidden) return fail(Errc::not_found, "block " + id.short_hex());
    return inner_.get(id);
  }
  std::optional<BlockId> hidden;
};

TEST_CASE("reachability: a block the walk cannot read fails the mark") {
  FsHarness h;
  Tree t(h);
  HidingStore hiding(h.store);
  auto v = open_volume(hiding);
  const Head head = *v->head();
  BlockId root = must(head.open_root(v->keys().read_key)).id;
  BlockId table = v->table_root()->id;
  for (const BlockId& gone : {root, table}) {
    hiding.hidden = gone;
    MarkSet marks;
    CHECK(mark_version(*v, head, marks).code() == Errc::not_found);
  }
}

TEST_CASE("reachability: a file open but unlinked keeps its content through a sweep") {
  FsHarness h;
  Tree t(h);
  REQUIRE(h.fs->open(t.three_chunks, O_RDONLY) == 0);
  REQUIRE(h.fs->unlink(kRoot, "three-chunks") == 0);
  REQUIRE(h.fs->unlink(kRoot, "twin") == 0);  // its chunks are the same
  REQUIRE(h.fs->commit() == 0);
  std::vector<InodeRecord> open = h.fs->open_unlinked();
  REQUIRE(open.size() == 1);
  CHECK(open[0].size == 3 * kChunk);

  auto v = open_volume(h.store);
  MarkSet version_only, with_open;
  REQUIRE(mark_version(*v, *v->head(), version_only).ok());
  REQUIRE(mark_version(*v, *v->head(), with_open).ok());
  REQUIRE(mark_content(v->io(), open[0], with_open).ok());
  version_only.seal();
  with_open.seal();
  WriteBatch sweep;
  size_t only_open = 0;
  for (const BlockId& id : ids_in(h.store)) {
    if (!with_open.may_contain(id)) sweep.erase.push_back(id);
    if (with_open.may_contain(id) && !version_only.may_contain(id)) ++only_open;
  }
  CHECK(only_open >= 3);  // its chunks (and its chunk tree): the version no longer names them
  v.reset();
  REQUIRE(h.store.write(sweep).ok());
  CHECK(h.read_all(t.three_chunks) == pattern(3 * kChunk, 3));
  // Closed, it is garbage like any other.
  REQUIRE(h.fs->release(t.three_chunks) == 0);
  CHECK(h.fs->open_unlinked().empty());
}

TEST_CASE("reachability: sweeping what the current version does not reach loses nothing") {
  FsHarness h;
  Tree t(h);
  // Garbage: an overwritten file, a deleted one, a truncated one, and the old versions.
  h.write(t.three_chunks, 0, pattern(3 * kChunk, 7));
  REQUIRE(h.fs->unlink(kRoot, "one-chunk") == 0);
  h.truncate(t.sparse, 10);
  REQUIRE(h.fs->commit() == 0);

  auto v = open_volume(h.store);
  MarkSet marks;
  REQUIRE(mark_version(*v, *v->head(), marks).ok());
  marks.seal();
  WriteBatch sweep;
  for (const BlockId& id : ids_in(h.store))
    if (!marks.may_contain(id)) sweep.erase.push_back(id);
  MESSAGE("swept " << sweep.erase.size() << " of " << ids_in(h.store).size() << " blocks");
  CHECK(sweep.erase.size() >= 3 + 2);  // old chunks, old chunk-tree nodes, old versions
  v.reset();
  h.fs.reset();
  REQUIRE(h.store.write(sweep).ok());

  h.fs = open_fs(h.store);
  CHECK(h.read_all(h.lookup(kRoot, "three-chunks")) == pattern(3 * kChunk, 7));
  CHECK(h.lookup(kRoot, "one-chunk") == 0);
  CHECK(h.read_all(h.lookup(kRoot, "sparse")) == Bytes(10, 0));
  CHECK(h.read_all(h.lookup(kRoot, "small")) == pattern(100, 1));
  CHECK(h.read_all(h.lookup(kRoot, "twin")) == pattern(3 * kChunk, 3));
  uint64_t d = h.lookup(kRoot, "dir");
  CHECK(h.list(d).size() == Tree::kNames + 2);
  std::string target;
  CHECK(h.fs->readlink(h.lookup(d, "symlink"), &target) == 0);
  CHECK(target == "../small");
  // The file system goes on writing over the swept store.
  h.write(h.lookup(kRoot, "twin"), 0, pattern(kChunk, 8));
  CHECK(h.fs->commit() == 0);
}

}  // namespace
}  // namespace peerstore
