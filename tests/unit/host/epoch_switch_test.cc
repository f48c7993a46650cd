// EpochSwitch: whether this computer made versions of a shared folder's old volume that the copy
// into its next epoch lacks (a write that raced a revoke, or one never uploaded). The new
// epoch's root names the old volume and the version copied; only this computer's versions
// count; a computer that never had the old volume has nothing to keep.
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

// The next epoch, saying which old version it was copied from (none: says nothing).
GrantContent next_of(LocalStore& store, const GrantContent& old, PublicKey owner,
                     std::optional<Id256> from) {
  GrantContent next = volume_content(old.epoch + 1, &old.lineage);
  auto fs = open_as(store, next, owner);
  if (from) {
    REQUIRE(fs->set_hidden(kRoot, std::string(RevokeJournal::kCopiedFrom),
                           Bytes(from->b.begin(), from->b.end())) == 0);
    GrantContent previous = GrantContent::decode(old.encode()).value();
    previous.signing_seed.reset();
    REQUIRE(fs->set_hidden(kRoot, std::string(RevokeJournal::kPrevious), previous.encode()) == 0);
  }
  write(*fs, "copied.txt");
  return next;
}

Id256 head_of(LocalStore& store, const GrantContent& c, PublicKey device) {
  auto vol = must(Volume::open(store, must(c.writer_keys()), device));
  REQUIRE(vol->head().has_value());
  return vol->head()->hash();
}

TEST_CASE("EpochSwitch: versions this computer made after the copy keep the old volume") {
  MemoryStore store;  // one computer's store; its head is this computer's
  PublicKey owner = SigningKey::generate().public_key();
  PublicKey member = SigningKey::generate().public_key();
  GrantContent old = volume_content(0, nullptr);
  write(*open_as(store, old, member), "before.txt");  // the member wrote before the copy
  write(*open_as(store, old, owner), "owner.txt");
  Id256 copied = head_of(store, old, owner);
  GrantContent next = next_of(store, old, owner, copied);

  EpochSwitch at_member(store, member), at_owner(store, owner);
  CHECK_FALSE(at_member.unsaved(next).has_value());  // at the copied version: nothing lacks
  CHECK_FALSE(at_owner.unsaved(next).has_value());

  write(*open_as(store, old, member), "raced.txt");  // after the copy
  auto kept = at_member.unsaved(next);
  REQUIRE(kept.has_value());
  CHECK(kept->volume == old.volume);
  CHECK_FALSE(kept->writable());  // kept to copy from, read-only
  // Someone else's version after the copy is not this computer's to keep (a revoked user may
  // write to the old volume: none of that comes back).
  CHECK_FALSE(at_owner.unsaved(next).has_value());
}

TEST_CASE("EpochSwitch: nothing to keep without the old volume, or without a word of it") {
  MemoryStore store, elsewhere;
  PublicKey owner = SigningKey::generate().public_key();
  GrantContent old = volume_content(0, nullptr);
  write(*open_as(store, old, owner), "a.txt");
  GrantContent next = next_of(store, old, owner, head_of(store, old, owner));
  // A computer that never had the old volume: the new epoch alone in its store.
  GrantContent fresh = next_of(elsewhere, old, owner, head_of(store, old, owner));
  CHECK_FALSE(EpochSwitch(elsewhere, owner).unsaved(fresh).has_value());
  // A new epoch that does not name the old one: nothing can be shown (logged).
  GrantContent silent = next_of(store, old, owner, std::nullopt);
  write(*open_as(store, old, owner), "b.txt");
  CHECK_FALSE(EpochSwitch(store, owner).unsaved(silent).has_value());
  CHECK(EpochSwitch(store, owner).unsaved(next).has_value());
}

}  // namespace
}  // namespace peerstore::host
