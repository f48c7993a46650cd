// Live sync against heads that lie: signed with the volume's key (a writer gone wrong, or a
// stolen key), but with a version vector that claims descent it does not have, parents that are
// not heads of the volume, or a vector too long to accept. Such heads are refused (logged once),
// and nothing this computer has is lost.
#include <doctest/doctest.h>

#include "../common/must.h"
#include "sync_harness.h"

namespace peerstore {
namespace {

using namespace test;

// Puts a signed head of the test volume into the network, pointing at `ours`'s current root.
void put_head(NetworkLikeStore& net, Computer& ours, std::vector<std::pair<Id256, uint64_t>> clock,
              std::vector<Id256> parents) {
  const Volume& v = ours.fs->volume();
  BlockPtr root = must(v.head()->open_root(v.keys().read_key));
  Head h = Head::make(v.keys(), root, std::move(clock), std::move(parents), device_key(9),
                      v.head()->time_ns + 1000);
  Bytes encoded = h.encode();  // a record only views its bytes: they must outlive the write
  WriteBatch b;
  b.blocks.push_back(BlockRecord{h.hash(), encoded});
  b.heads.emplace_back(v.keys().id(), std::vector<Bytes>{encoded});
  REQUIRE(net.write(b).ok());
}

TEST_CASE("sync: a head that claims to descend from ours without doing so is refused") {
  NetworkLikeStore net;
  Computer a(net, 1);
  uint64_t f = a.create(kRoot, "mine.txt");
  a.write(f, 0, std::string("keep me"));
  REQUIRE(a.fs->commit() == 0);
  // A vector above ours in every device, but its only parent is not our head.
  auto clock = a.fs->volume().head()->clock;
  for (auto& [dev, n] : clock) n += 5;
  Id256 stranger;
  stranger.b.fill(0x77);
  put_head(net, a, clock, {stranger});
  auto before = a.table();
  CHECK(a.fs->sync() != 0);  // its parent is nowhere: not taken, retried later
  CHECK(a.table() == before);
  CHECK(a.read_text(a.lookup(kRoot, "mine.txt")) == "keep me");

  // Its parent is a block that is not a head: refused for good, and the next round is quiet.
  Bytes junk(64, 0x42);
  BlockId junk_id = hash_block(junk);
  WriteBatch b;
  b.blocks.push_back(BlockRecord{junk_id, junk});
  REQUIRE(net.write(b).ok());
  for (auto& [dev, n] : clock) n += 1;
  put_head(net, a, clock, {junk_id});
  a.fs->sync();
  CHECK(a.table() == before);
  CHECK(a.lookup(kRoot, "mine.txt") == f);
}

TEST_CASE("sync: heads with an endless version vector are ignored") {
  NetworkLikeStore net;
  Computer a(net, 1);
  a.create(kRoot, "x");
  REQUIRE(a.fs->commit() == 0);
  std::vector<std::pair<Id256, uint64_t>> clock;
  for (int i = 0; i < 5000; ++i) {
    Id256 d;
    put_u64be(d.b.data(), uint64_t(i) + 1);
    clock.emplace_back(d, 1);
  }
  put_head(net, a, clock, {a.fs->volume().head()->hash()});
  auto before = a.table();
  CHECK(a.fs->sync() == 0);  // the head does not decode: as if it were not there
  CHECK(a.table() == before);
  CHECK(a.lookup(kRoot, "x") != 0);
}

}  // namespace
}  // namespace peerstore

namespace peerstore {
namespace {

using namespace test;

// A head can reach the network before the blocks it names (a computer killed after its commit
// uploads its head at the next start; its blocks follow through its node's handoff). A computer
// that meets such a head must neither show a broken tree nor commit on top of a head its tree
// does not hold.
TEST_CASE("sync: a head whose blocks are not there yet leaves the tree and the head as they were") {
  NetworkLikeStore net;
  Computer a(net, 1), b(net, 2);
  uint64_t d = a.mkdir(kRoot, "d");
  REQUIRE(a.fs->commit() == 0);
  b.sync();
  std::set<BlockId> before;
  REQUIRE(net.for_each_id([&](const BlockId& id, size_t) {
               before.insert(id);
               return true;
             })
              .ok());
  a.write(a.create(d, "from-a"), 0, std::string("a"));
  REQUIRE(a.fs->commit() == 0);
  // Everything a just wrote is missing but its head and root block.
  const Head& ah = *a.fs->volume().head();
  BlockPtr root = must(ah.open_root(a.fs->volume().keys().read_key));
  REQUIRE(net.for_each_id([&](const BlockId& id, size_t) {
               if (!before.count(id) && id != ah.hash() && id != root.id) net.hide(id);
               return true;
             })
              .ok());

  auto table = b.table();
  CHECK(b.fs->sync() != 0);
  CHECK(b.table() == table);
  CHECK(b.list(d).empty());
  // b goes on and commits: its head must descend from its own tree, not from a's.
  b.write(b.create(d, "from-b"), 0, std::string("b"));
  REQUIRE(b.fs->commit() == 0);
  net.show_all();
  converge({&a, &b});
  for (Computer* x : {&a, &b}) {
    CHECK(x->lookup(d, "from-a") != 0);
    CHECK(x->lookup(d, "from-b") != 0);
  }
}

}  // namespace
}  // namespace peerstore
