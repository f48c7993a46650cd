// Claim before adopting (host/mount_claims.h claim_version, FileSystem::Options::before_adopt):
// live sync takes another computer's head only once this device claimed every block the head
// reaches; while the ring does not take the claims, the tree stays where it was, and takes the
// head once it does; a later head costs only the claims of what is new in it.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sodium.h>

#include <set>

#include "../common/must.h"
#include "fs/reachability.h"
#include "host/mount_claims.h"
#include "host_fs.h"
#include "keys/signing_key.h"
#include "store/memory_store.h"
#include "support/model_claim_sink.h"

namespace peerstore::host {
namespace {

using test::must;
using test_fs::me;
constexpr uint64_t kRoot = NodeTable::kRootIno;

Bytes random_bytes(size_t n) {
  Bytes b(n);
  randombytes_buf(b.data(), n);
  return b;
}

void write_file(FileSystem& fs, const std::string& name, const Bytes& data) {
  EntryOut e;
  REQUIRE(fs.create(me(), kRoot, name, 0644, O_RDWR, &e) == 0);
  REQUIRE(fs.write(e.ino, 0, data) == ssize_t(data.size()));
  REQUIRE(fs.release(e.ino) == 0);
  REQUIRE(fs.commit() == 0);
}

std::set<BlockId> reached_by(Volume& volume, const Head& head) {
  std::set<BlockId> ids;
  BlockVisitor v{[&](const BlockId& id) { return ids.insert(id).second; },
                 [&](const BlockId& id) { ids.insert(id); }};
  REQUIRE(visit_version(volume, head, v).ok());
  return ids;
}

TEST_CASE("adopt claims: sync takes another computer's head only once its blocks are claimed") {
  MemoryStore store;
  SigningKey user = SigningKey::generate();
  PublicKey writer = SigningKey::generate().public_key(),
            me_dev = SigningKey::generate().public_key();
  auto a = must(FileSystem::open(must(Volume::open(store, VolumeKeys::derive_home(user), writer)),
                                 test_fs::options(), me()));

  MemoryKvTable table;
  test::ModelClaimSink sink;
  MountClaims claims(table, sink, me_dev);
  REQUIRE(claims.add_volume(VolumeKeys::derive_home(user)).ok());
  FileSystem::Options o = test_fs::options();
  std::vector<Id256> asked;
  o.before_adopt = [&](Volume& v, const Head& h) {
    asked.push_back(h.hash());
    return claims.claim_version(v, h);
  };
  auto b = must(
      FileSystem::open(must(Volume::open(store, VolumeKeys::derive_home(user), me_dev)), o, me()));

  write_file(*a, "first", random_bytes(300 << 10));
  Head first = *a->volume().head();
  REQUIRE(b->sync() == 0);
  CHECK(b->volume().head()->hash() == first.hash());
  REQUIRE(asked.size() == 1);
  CHECK(asked[0] == first.hash());
  auto reader = must(Volume::open(store, VolumeKeys::derive_home(user), me_dev));
  auto of_first = reached_by(*reader, first);
  CHECK(of_first.size() >= 8);  // 5 chunks, a tree node, the tables, the root, the head
  for (auto& id : of_first) CHECK_MESSAGE(sink.live(id) == 1, id.short_hex() << " not claimed");

  // The ring does not take claims: the head waits, and the tree with it.
  write_file(*a, "second", random_bytes(200 << 10));
  Head second = *a->volume().head();
  sink.fail_next = 1 << 20;
  CHECK(b->sync() != 0);
  CHECK(b->volume().head()->hash() == first.hash());
  EntryOut e;
  CHECK(b->lookup(kRoot, "second", &e) == ENOENT);
  sink.fail_next = 0;
  REQUIRE(b->sync() == 0);
  CHECK(b->volume().head()->hash() == second.hash());
  CHECK(b->lookup(kRoot, "second", &e) == 0);
  for (auto& id : reached_by(*reader, second))
    CHECK_MESSAGE(sink.live(id) == 1, id.short_hex() << " not claimed");

  // A small change costs the claims of what is new, not of the whole tree.
  size_t puts = sink.puts;
  write_file(*a, "third", to_bytes("small"));
  REQUIRE(b->sync() == 0);
  CHECK(sink.puts - puts < 10);
  CHECK(sink.puts > puts);
}

}  // namespace
}  // namespace peerstore::host
