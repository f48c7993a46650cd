// What a revoke's rotation needs of the tree (docs/sharing.md, Revoke): the link's name moves
// to a new inode that opens the next epoch (FileSystem::relink); changes below the volume wait
// while it is copied (MountTree::hold_changes), which a file open for writing refuses; and once
// the link moved, a change still aimed at the old volume answers ESTALE (MountTree::retire);
// opening the next epoch retires the old one and keeps it in view when the opener says this
// computer wrote to it what the next one lacks (MountTree's supersede).
#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "mount_tree_harness.h"

namespace peerstore {
namespace {

using test::FsHarness;
using test::kRoot;
using test::root_caller;
using namespace test::linked;
using namespace std::chrono_literals;

std::string xattr(FileSystem& fs, uint64_t ino, const std::string& name) {
  Bytes v;
  size_t n = 0;
  if (fs.getxattr(ino, name, 256, &v, &n) != 0) return "(none)";
  return std::string(as_chars(v));
}

TEST_CASE("FileSystem::relink: the link's name moves to a new inode that opens the next epoch") {
  FsHarness h;
  Shared was, next;
  uint64_t old = make_link(h, was.link());
  REQUIRE(h.fs->setxattr(old, "user.note", to_bytes("kept"), 0) == 0);
  struct stat before;
  REQUIRE(h.fs->getattr(old, &before) == 0);

  constexpr uint64_t kNew = 0x1234567;
  REQUIRE(h.fs->relink(old, next.link(), kNew) == 0);
  EntryOut e;
  REQUIRE(h.fs->lookup(kRoot, "proj", &e) == 0);
  CHECK(e.ino == kNew);
  CHECK(e.link);
  CHECK(S_ISDIR(e.attr.st_mode));
  CHECK((e.attr.st_mode & 07777) == (before.st_mode & 07777));
  CHECK(e.attr.st_mtim.tv_sec == before.st_mtim.tv_sec);
  h.fs->forget(e.ino, 1);
  std::shared_ptr<const Secret> bytes;
  REQUIRE(h.fs->link_of(kNew, &bytes) == 0);
  auto opened = GrantContent::decode(ByteView(bytes->data(), bytes->size()));
  REQUIRE(opened.ok());
  CHECK(opened->volume == next.signer.public_key());
  CHECK(xattr(*h.fs, kNew, "user.note") == "kept");
  CHECK(h.fs->link_of(old, &bytes) != 0);  // the old link is gone from the tree

  // Again (a restart carrying the revoke on): nothing more to do.
  CHECK(h.fs->relink(old, next.link(), kNew) == 0);
  // Anything but a link is refused, and so is a number something else holds.
  EntryOut dir;
  REQUIRE(h.fs->mkdir(root_caller(), kRoot, "plain", 0755, &dir) == 0);
  CHECK(h.fs->relink(dir.ino, next.link(), 0x777) == EINVAL);
  CHECK(h.fs->relink(kNew, was.link(), dir.ino) == EEXIST);
  CHECK(h.fs->relink(kNew, was.link(), kRoot) == EINVAL);

  // It is committed: a remount finds the new link.
  h.reopen();
  REQUIRE(h.fs->lookup(kRoot, "proj", &e) == 0);
  CHECK(e.ino == kNew);
}

TEST_CASE("MountTree: changes below a held volume wait for the hold; an open writer refuses it") {
  FsHarness h;
  Shared s;
  fill(h.store, s, "a.txt", "before");
  make_link(h, s.link());
  TestOpener opener(h.store);
  MountTree t(*h.fs, &opener);
  EntryOut proj, f;
  REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
  REQUIRE(t.create(root_caller(), proj.ino, "open.txt", 0644, O_WRONLY, &f) == 0);

  std::unique_lock<std::shared_mutex> held;
  CHECK(t.hold_changes(s.signer.public_key(), &held) == EBUSY);
  CHECK_FALSE(held.owns_lock());
  REQUIRE(t.release(f.ino, O_WRONLY) == 0);
  EntryOut a;
  REQUIRE(t.lookup(proj.ino, "a.txt", &a) == 0);
  REQUIRE(t.open(a.ino, O_RDONLY) == 0);  // a reader does not stop a hold
  REQUIRE(t.hold_changes(s.signer.public_key(), &held) == 0);
  CHECK(held.owns_lock());

  std::atomic<int> made{-1};
  std::thread writer([&] {
    EntryOut d;
    made = t.mkdir(root_caller(), proj.ino, "later", 0755, &d);
  });
  std::this_thread::sleep_for(200ms);
  CHECK(made.load() == -1);  // waiting
  // Reads go on meanwhile.
  CHECK(read_all(t, a.ino) == "before");
  struct stat st;
  CHECK(t.getattr(proj.ino, &st) == 0);
  held.unlock();
  writer.join();
  CHECK(made.load() == 0);
  REQUIRE(t.release(a.ino) == 0);

  // A volume not open in this mount has nothing to hold.
  Shared other;
  std::unique_lock<std::shared_mutex> none;
  CHECK(t.hold_changes(other.signer.public_key(), &none) == 0);
  CHECK_FALSE(none.owns_lock());
}

TEST_CASE("MountTree: once retired, a volume answers ESTALE to changes and still reads") {
  FsHarness h;
  Shared s;
  fill(h.store, s, "a.txt", "old epoch");
  make_link(h, s.link());
  TestOpener opener(h.store);
  MountTree t(*h.fs, &opener);
  EntryOut proj, a, d, f;
  REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
  REQUIRE(t.lookup(proj.ino, "a.txt", &a) == 0);
  t.retire(s.signer.public_key());
  CHECK(t.mkdir(root_caller(), proj.ino, "d", 0755, &d) == ESTALE);
  CHECK(t.create(root_caller(), proj.ino, "f", 0644, O_WRONLY, &f) == ESTALE);
  CHECK(t.open(a.ino, O_WRONLY) == ESTALE);
  CHECK(t.unlink(proj.ino, "a.txt") == ESTALE);
  CHECK(t.setxattr(a.ino, "user.x", to_bytes("1"), 0) == ESTALE);
  REQUIRE(t.open(a.ino, O_RDONLY) == 0);
  CHECK(read_all(t, a.ino) == "old epoch");
  REQUIRE(t.release(a.ino) == 0);
  // The home volume is not affected.
  EntryOut home;
  CHECK(t.mkdir(root_caller(), kRoot, "home-dir", 0755, &home) == 0);
}

// An opener that says what the next epoch lacks, as EpochSwitch would.
struct KeepingOpener : TestOpener {
  std::optional<GrantContent> keep;
  int asked = 0;
  using TestOpener::TestOpener;
  std::optional<GrantContent> unsaved_previous(const GrantContent&) override {
    ++asked;
    if (!keep) return std::nullopt;
    return GrantContent::decode(keep->encode()).value();
  }
};

TEST_CASE("MountTree: the next epoch retires the old one, and keeps it in view when asked to") {
  for (bool lacks : {false, true}) {
    CAPTURE(lacks);
    FsHarness h;
    Shared was, next;
    fill(h.store, was, "a.txt", "old epoch");
    uint64_t old = make_link(h, was.link());
    KeepingOpener opener(h.store);
    if (lacks) opener.keep = was.content("proj", false);
    MountTree t(*h.fs, &opener);
    EntryOut proj;
    REQUIRE(t.lookup(kRoot, "proj", &proj) == 0);
    CHECK(opener.asked == 0);  // a first epoch: nothing before it

    Id256 lineage = was.signer.public_key();
    REQUIRE(h.fs->relink(old, next.link("proj", true, &lineage, 1), 0x4242) == 0);
    EntryOut moved, d;
    REQUIRE(t.lookup(kRoot, "proj", &moved) == 0);
    CHECK(moved.ino == 0x4242);
    CHECK(opener.asked == 1);
    CHECK(t.mkdir(root_caller(), proj.ino, "late", 0755, &d) == ESTALE);  // the old: retired
    CHECK(t.mkdir(root_caller(), moved.ino, "new", 0755, &d) == 0);       // the new: open
    std::vector<std::string> names;
    REQUIRE(t.readdir(kRoot, 0, false, [&](std::string_view n, const struct stat&, uint64_t, bool) {
      if (n != "." && n != "..") names.emplace_back(n);
      return true;
    }) == 0);
    if (!lacks) {
      CHECK(names == std::vector<std::string>{"proj"});
      continue;
    }
    REQUIRE(names.size() == 2);
    EntryOut aside, a;
    REQUIRE(t.lookup(kRoot, "proj (before revoke)", &aside) == 0);
    CHECK(aside.link);
    REQUIRE(t.lookup(aside.ino, "a.txt", &a) == 0);
    CHECK(read_all(t, a.ino) == "old epoch");
    CHECK(t.unlink(aside.ino, "a.txt") != 0);  // kept to copy from, not to write to
  }
}

}  // namespace
}  // namespace peerstore
