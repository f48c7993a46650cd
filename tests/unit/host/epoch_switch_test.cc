// EpochSwitch: whether this computer wrote versions of a share's old volume that the copy into
// its next epoch lacks (a write that raced a revoke). Only this computer's versions count; a
// new epoch that does not say what it was copied from keeps the old volume in view.
#include "host/epoch_switch.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sodium.h>

#include "../common/must.h"
#include "keys/revoke_journal.h"
#include "store/memory_store.h"

namespace peerstore::host {
namespace {

using test::must;
constexpr uint64_t kRoot = NodeTable::kRootIno;

GrantContent volume_content(uint64_t epoch, const Id256* lineage) {
  SigningKey k = SigningKey::generate();
  GrantContent c;
  c.volume = k.public_key();
  c.read_key = Secret(32);
  c.convergence = Secret(32);
  randombytes_buf(c.read_key.data(), 32);
  randombytes_buf(c.convergence.data(), 32);
  c.signing_seed = k.seed().clone();
  c.folder = "proj";
  c.lineage = lineage ? *lineage : c.volume;
  c.epoch = epoch;
  return c;
}

std::unique_ptr<FileSystem> open_as(LocalStore& store, const GrantContent& c, PublicKey device) {
  FileSystem::Options o;
  o.statfs_path = "/";
  auto vol = must(Volume::open(store, must(c.writer_keys()), device));
  return must(FileSystem::open(std::move(vol), o, Caller{0, 0}));
}

void write(FileSystem& fs, const std::string& name) {
  EntryOut e;
  REQUIRE(fs.create(Caller{0, 0}, kRoot, name, 0644, O_WRONLY, &e) == 0);
  REQUIRE(fs.write(e.ino, 0, to_bytes(name)) == ssize_t(name.size()));
  REQUIRE(fs.release(e.ino) == 0);
  REQUIRE(fs.commit() == 0);
}

// The next epoch, saying it was copied from the old volume's version at `from`.
GrantContent next_of(LocalStore& store, const GrantContent& old, PublicKey owner,
                     std::optional<Id256> from) {
  GrantContent next = volume_content(old.epoch + 1, &old.lineage);
  auto fs = open_as(store, next, owner);
  if (from)
    REQUIRE(fs->set_hidden(kRoot, std::string(RevokeJournal::kCopiedFrom),
                           Bytes(from->b.begin(), from->b.end())) == 0);
  write(*fs, "copied.txt");
  return next;
}

Id256 head_of(LocalStore& store, const GrantContent& c, PublicKey device) {
  auto vol = must(Volume::open(store, must(c.writer_keys()), device));
  REQUIRE(vol->head().has_value());
  return vol->head()->hash();
}

TEST_CASE("EpochSwitch: a version this computer made after the copy keeps the old volume") {
  MemoryStore store;
  PublicKey owner = SigningKey::generate().public_key();
  PublicKey member = SigningKey::generate().public_key();
  GrantContent old = volume_content(0, nullptr);
  write(*open_as(store, old, member), "before.txt");  // the member wrote before the copy
  write(*open_as(store, old, owner), "owner.txt");
  Id256 copied = head_of(store, old, owner);
  GrantContent next = next_of(store, old, owner, copied);

  EpochSwitch at_member(store, member), at_owner(store, owner);
  CHECK_FALSE(at_member.unsaved(old, next));  // everything it wrote is in the copy
  CHECK_FALSE(at_owner.unsaved(old, next));

  write(*open_as(store, old, member), "raced.txt");  // after the copy
  CHECK(at_member.unsaved(old, next));
  CHECK_FALSE(at_owner.unsaved(old, next));  // someone else's version: not this computer's
}

TEST_CASE("EpochSwitch: a new epoch that does not say what it holds keeps the old volume") {
  MemoryStore store;
  PublicKey owner = SigningKey::generate().public_key();
  GrantContent old = volume_content(0, nullptr);
  write(*open_as(store, old, owner), "a.txt");
  GrantContent next = next_of(store, old, owner, std::nullopt);
  EpochSwitch s(store, owner);
  CHECK(s.unsaved(old, next));
}

}  // namespace
}  // namespace peerstore::host
