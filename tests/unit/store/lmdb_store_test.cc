// LmdbStore specifics: what a commit wrote survives closing and reopening the store (the
// durability the commit protocol promises), and the directory is created private.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <random>
#include <string>

#include "../common/mapped.h"
#include "../common/must.h"
#include "store/map_budget.h"
#include "store_makers.h"

namespace peerstore {
namespace {

using test::make_block;
using test::must;
using test::TestBlock;
using test::volume_id;

TEST_CASE("LmdbStore: blocks and heads persist across close and reopen") {
  test::LmdbStoreMaker m;
  TestBlock a = make_block(1, 5000), b = make_block(2, 1 << 20);
  WriteBatch batch;
  batch.blocks = {a.record(), b.record()};
  batch.heads.emplace_back(volume_id(7), std::vector<Bytes>{to_bytes("h1"), to_bytes("h2")});
  REQUIRE(m.get().write(batch).ok());

  m.reopen();
  CHECK(must(m.get().get(a.id)) == a.data);
  CHECK(must(m.get().get(b.id)) == b.data);
  CHECK(must(m.get().heads(volume_id(7))) == std::vector<Bytes>{to_bytes("h1"), to_bytes("h2")});
  CHECK(must(m.get().stats()).blocks == 2);

  // A failed batch before the close leaves nothing behind after it.
  TestBlock c = make_block(3), big = make_block(4, kMaxBlockSize + 1);
  WriteBatch bad;
  bad.blocks = {c.record(), big.record()};
  CHECK_FALSE(m.get().write(bad).ok());
  m.reopen();
  CHECK(m.get().get(c.id).code() == Errc::not_found);
  CHECK(must(m.get().stats()).blocks == 2);
}

TEST_CASE("LmdbStore: stores on one environment share blocks but not heads") {
  test::LmdbStoreMaker m;
  auto ring = must(m.store->with_heads_db("ring_heads"));
  TestBlock a = make_block(1, 3000), b = make_block(2, 4000);
  WriteBatch wa;
  wa.blocks = {a.record()};
  wa.heads.emplace_back(volume_id(1), std::vector<Bytes>{to_bytes("mine")});
  REQUIRE(m.get().write(wa).ok());
  WriteBatch wb;
  wb.blocks = {b.record()};
  wb.heads.emplace_back(volume_id(1), std::vector<Bytes>{to_bytes("ring")});
  REQUIRE(ring->write(wb).ok());

  CHECK(must(ring->get(a.id)) == a.data);
  CHECK(must(m.get().get(b.id)) == b.data);
  CHECK(must(m.get().heads(volume_id(1))) == std::vector<Bytes>{to_bytes("mine")});
  CHECK(must(ring->heads(volume_id(1))) == std::vector<Bytes>{to_bytes("ring")});
  // They say so (a mount's upload hands blocks to its node by id when they do).
  CHECK(ring->blocks_identity() == m.get().blocks_identity());
  test::LmdbStoreMaker other;
  CHECK(other.get().blocks_identity() != m.get().blocks_identity());

  // The environment outlives whichever store closes first, and reopening finds both sets.
  m.store.reset();
  CHECK(must(ring->get(a.id)) == a.data);
  ring.reset();
  m.reopen();
  auto again = must(m.store->with_heads_db("ring_heads"));
  CHECK(must(again->heads(volume_id(1))) == std::vector<Bytes>{to_bytes("ring")});
  CHECK(must(m.get().heads(volume_id(1))) == std::vector<Bytes>{to_bytes("mine")});
}

TEST_CASE("LmdbStore: lookups and batches keep a bounded part of the map resident") {
  // A fault on the map may map a whole page-cache folio (up to 2 MiB on recent kernels): the
  // budget counts faults, so random lookups over a store much larger than it stay within it.
  test::LmdbStoreMaker m;
  std::vector<BlockId> ids;
  uint32_t seed = 100;
  // Many small batches of small blocks, so the B-tree's leaves end up spread over the file (in
  // a 1 GiB write, 128 inserts per batch touch most leaves of 16k keys).
  auto write_batch = [&] {
    WriteBatch batch;
    for (int i = 0; i < 128; ++i) {
      TestBlock b = make_block(seed++, 4 << 10);
      ids.push_back(b.id);
      batch.blocks.push_back(b.record());
    }
    REQUIRE(m.get().write(batch).ok());
  };
  for (int i = 0; i < 160; ++i) write_batch();  // 20k blocks, 80 MiB
  const std::string file = m.dir.file("db") + "/data.mdb";
  const size_t limit_kib = (MapBudget::kBudget + 4 * MapBudget::kMaxMappedPerFault) >> 10;
  std::mt19937 rng(7);
  size_t worst = 0;
  for (int i = 0; i < 600; ++i) {
    if (i % 200 == 199) write_batch();
    CHECK(must(m.get().contains(ids[rng() % ids.size()])));
    worst = std::max(worst, test::mapped_kib(file));
  }
  CHECK(worst <= limit_kib);
  MESSAGE("most of the map resident after a lookup: " << worst << " KiB");
}

TEST_CASE("LmdbStore: the store directory is created with mode 0700") {
  test::LmdbStoreMaker m;
  struct stat st;
  REQUIRE(::stat(m.dir.file("db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("LmdbStore: a path that cannot be a directory is an error, not a crash") {
  test::TempDir dir;
  auto s = LmdbStore::open(dir.file("missing/parent/db"));
  CHECK_FALSE(s.ok());
  CHECK(s.code() == Errc::io);
}

}  // namespace
}  // namespace peerstore
