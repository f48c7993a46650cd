// Volume: the committed state of one volume. A commit writes the new root and a signed head
// that descends from the previous one; opening picks the newest head that verifies and
// refuses to start from heads that are all forged or damaged.
#include <doctest/doctest.h>

#include "../common/must.h"
#include "fs/volume.h"
#include "fs_harness.h"

namespace peerstore {
namespace {

using test::must;
using test::test_device;
using test::test_volume_keys;

BlockPtr some_ptr(uint8_t fill) {
  BlockPtr p;
  p.id.b.fill(fill);
  p.key.fill(fill);
  return p;
}

TEST_CASE("Volume: a new volume, commits, and reopening") {
  MemoryStore store;
  auto v = Volume::open(store, test_volume_keys(), test_device());
  REQUIRE(v.ok());
  CHECK((*v)->is_new());
  CHECK_FALSE((*v)->table_root().has_value());

  REQUIRE((*v)->commit(some_ptr(1)).ok());
  REQUIRE((*v)->commit(some_ptr(2)).ok());
  CHECK((*v)->commits() == 2);

  auto heads = store.heads(test_volume_keys().id());
  REQUIRE(heads.ok());
  REQUIRE(heads->size() == 1);  // a linear history keeps one head
  auto h = Head::decode(heads->front());
  REQUIRE(h.ok());
  CHECK(h->verify());
  CHECK(h->counter_of(test_device()) == 2);
  CHECK(h->parents.size() == 1);
  CHECK(h->device == test_device());

  auto again = Volume::open(store, test_volume_keys(), test_device());
  REQUIRE(again.ok());
  CHECK_FALSE((*again)->is_new());
  REQUIRE((*again)->table_root().has_value());
  CHECK(*(*again)->table_root() == some_ptr(2));

  // The next commit descends from the head it opened.
  REQUIRE((*again)->commit(std::nullopt).ok());
  auto h3 = Head::decode(must(store.heads(test_volume_keys().id())).front());
  REQUIRE(h3.ok());
  CHECK(h3->parents == std::vector<Id256>{h->hash()});
  CHECK(h3->counter_of(test_device()) == 3);
  CHECK(h3->time_ns > h->time_ns);
}

TEST_CASE("Volume: forged and damaged heads are ignored; only bad heads is corrupt") {
  MemoryStore store;
  VolumeKeys keys = test_volume_keys();
  {
    auto v = Volume::open(store, test_volume_keys(), test_device());
    REQUIRE(v.ok());
    REQUIRE((*v)->commit(some_ptr(1)).ok());
  }
  Bytes good = must(store.heads(keys.id())).front();

  // A head for our volume id signed by someone else, newer than the real one.
  Bytes other_seed(32, 0x77);
  VolumeKeys other = VolumeKeys::derive_home(SigningKey::from_seed(Secret(other_seed)));
  Head forged = Head::make(other, some_ptr(9), {}, {}, test_device(), INT64_MAX);
  forged.volume = keys.id();
  Bytes damaged = good;
  damaged[damaged.size() / 2] ^= 1;

  REQUIRE(store.set_heads(keys.id(), {forged.encode(), damaged, to_bytes("junk"), good}).ok());
  auto v = Volume::open(store, test_volume_keys(), test_device());
  REQUIRE(v.ok());
  CHECK(*(*v)->table_root() == some_ptr(1));

  REQUIRE(store.set_heads(keys.id(), {forged.encode(), damaged}).ok());
  CHECK(Volume::open(store, test_volume_keys(), test_device()).code() == Errc::corrupt);
}

// A read-only member has the volume's id but no signing key: it opens and reads the writers'
// heads, and every commit or merge is refused rather than signed with nothing.
TEST_CASE("Volume: read-only keys open the writers' versions and never commit") {
  MemoryStore store;
  auto writer = must(Volume::open(store, test_volume_keys(), test_device()));
  REQUIRE(writer->commit(std::nullopt).ok());
  VolumeKeys w = test_volume_keys();
  auto reader = must(Volume::open(
      store, VolumeKeys::read_only(w.id(), w.read_key.clone(), w.convergence.clone()),
      test_device()));
  CHECK_FALSE(reader->keys().writable());
  CHECK(reader->keys().id() == w.id());
  REQUIRE(reader->head().has_value());
  CHECK(reader->head()->hash() == writer->head()->hash());
  CHECK(reader->commit(std::nullopt).code() == Errc::permission);
  CHECK(reader->merge(*writer->head()).code() == Errc::permission);
  CHECK(reader->head()->hash() == writer->head()->hash());
}

}  // namespace
}  // namespace peerstore
