// ShareControl's revoke, with the mount's tree and store but a stand-in for the ring: the
// folder moves to the next epoch, the members who stay get grants of it and the revoked user a
// withdrawal, the grant records move with it; a revoke whose grants could not reach the ring is
// finished by the next start; one killed before its link moved is rolled back; another
// computer's journal is left alone.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "../common/must.h"
#include "host/share_control.h"
#include "host_fs.h"
#include "keys/user_id.h"
#include "store/memory_store.h"

namespace peerstore::host {
namespace {

using test::must;
constexpr uint64_t kRoot = NodeTable::kRootIno;

using test_fs::me;
using test_fs::options;

// Opens linked volumes from the same store, as MountTree needs.
struct Opener : MountTree::Opener {
  LocalStore& store;
  PublicKey device;
  Opener(LocalStore& s, PublicKey d) : store(s), device(d) {}
  Result<std::unique_ptr<FileSystem>> open(const GrantContent& link) override {
    VolumeKeys keys =
        VolumeKeys::read_only(link.volume, link.read_key.clone(), link.convergence.clone());
    if (link.writable()) {
      PS_ASSIGN(keys, link.writer_keys());
    }
    PS_ASSIGN(auto vol, Volume::open(store, std::move(keys), device));
    return FileSystem::open(std::move(vol), options(), me());
  }
  void started(FileSystem&) override {}
  void closing(FileSystem&) override {}
};

// The ring's inboxes, as far as grants go; `up` false: every put fails.
struct Inboxes {
  std::mutex m;
  std::vector<Grant> got;
  bool up = true;
  ShareControl::PostGrant post() {
    return [this](const Grant& g) -> Status {
      std::lock_guard lock(m);
      if (!up) return fail(Errc::unavailable, "the ring is away");
      got.push_back(g);
      return {};
    };
  }
  std::vector<Grant> to(const PublicKey& who) {
    std::lock_guard lock(m);
    std::vector<Grant> out;
    for (auto& g : got)
      if (g.recipient == who) out.push_back(g);
    return out;
  }
};

// One computer's mount: the home volume, the tree, the control; "restarted" by making it anew.
struct Mount {
  std::unique_ptr<FileSystem> home;
  Opener opener;
  std::unique_ptr<ShareControl> control;
  std::unique_ptr<MountTree> tree;

  Mount(MemoryStore& store, const SigningKey& user, PublicKey device, Inboxes& inboxes)
      : opener(store, device) {
    auto vol = must(Volume::open(store, VolumeKeys::derive_home(user), device));
    home = must(FileSystem::open(std::move(vol), options(), me()));
    control = std::make_unique<ShareControl>(store, inboxes.post(), user, device, options());
    tree = std::make_unique<MountTree>(*home, &opener);
    tree->set_control(control.get());
  }
  ~Mount() {
    control->stop();
    CHECK(tree->close().ok());
    tree.reset();
    CHECK(home->commit() == 0);
  }
  int request(uint64_t ino, std::string_view name, const std::string& value) {
    return tree->setxattr(ino, name, to_bytes(value), 0);
  }
  uint64_t lookup(uint64_t dir, const std::string& name) {
    EntryOut e;
    REQUIRE(tree->lookup(dir, name, &e) == 0);
    return e.ino;
  }
  std::string read(uint64_t dir, const std::string& name) {
    uint64_t ino = lookup(dir, name);
    Bytes b;
    REQUIRE(tree->read(ino, 0, 1 << 20, &b) == 0);
    return std::string(as_chars(b));
  }
  std::map<std::string, Bytes> hidden(std::string_view prefix) {
    std::map<std::string, Bytes> out;
    REQUIRE(home->hidden(kRoot, prefix, &out) == 0);
    return out;
  }
  // Waits (5 s at most) until no revoke journal is left.
  bool settled() {
    for (int i = 0; i < 500; ++i) {
      if (hidden(RevokeJournal::kPrefix).empty()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

GrantContent link_content(Mount& m, uint64_t link) {
  std::shared_ptr<const Secret> bytes;
  REQUIRE(m.home->link_of(link, &bytes) == 0);
  return must(GrantContent::decode(ByteView(bytes->data(), bytes->size())));
}

// The owner's folder "proj" with a file, shared read-write with `rw` and read-only with `ro`.
uint64_t shared_folder(Mount& m, const SigningKey& rw, const SigningKey& ro) {
  EntryOut d, f;
  REQUIRE(m.tree->mkdir(me(), kRoot, "proj", 0750, &d) == 0);
  REQUIRE(m.tree->create(me(), d.ino, "a.txt", 0644, O_WRONLY, &f) == 0);
  REQUIRE(m.tree->write(f.ino, 0, to_bytes("alpha")) == 5);
  REQUIRE(m.tree->release(f.ino, O_WRONLY) == 0);
  REQUIRE(m.request(d.ino, ShareControl::kGrant, UserId::format(rw.public_key()) + " rw") == 0);
  uint64_t link = m.lookup(kRoot, "proj");
  REQUIRE(m.request(link, ShareControl::kGrant, UserId::format(ro.public_key()) + " ro") == 0);
  return link;
}

struct World {
  MemoryStore store;
  Inboxes inboxes;
  SigningKey owner = SigningKey::generate(), stays = SigningKey::generate(),
             goes = SigningKey::generate();
  PublicKey device = SigningKey::generate().public_key();
};

TEST_CASE("revoke: the next epoch for the owner and those who stay, a withdrawal for the other") {
  World w;
  Mount m(w.store, w.owner, w.device, w.inboxes);
  uint64_t link = shared_folder(m, w.stays, w.goes);
  GrantContent before = link_content(m, link);
  uint64_t sub_dir;
  {
    EntryOut d;
    REQUIRE(m.tree->mkdir(me(), link, "sub", 0755, &d) == 0);
    sub_dir = d.ino;
  }
  CHECK(m.request(link, ShareControl::kRevoke, UserId::format(w.owner.public_key())) == ENOENT);
  CHECK(m.request(link, ShareControl::kRevoke, "psu1-garbled") == EINVAL);

  REQUIRE(m.request(link, ShareControl::kRevoke, UserId::format(w.goes.public_key())) == 0);
  uint64_t moved = m.lookup(kRoot, "proj");
  CHECK(moved != link);
  GrantContent after = link_content(m, moved);
  CHECK(after.volume != before.volume);
  CHECK(after.lineage == before.lineage);
  CHECK(after.epoch == before.epoch + 1);
  CHECK(after.folder == "proj");
  CHECK(after.read_key.view()[0] != before.read_key.view()[0]);  // new keys (odds 1/256 aside)
  CHECK(m.read(moved, "a.txt") == "alpha");
  CHECK(m.lookup(moved, "sub") != 0);
  // The old volume is retired here: a change aimed at it fails, never lands unseen.
  EntryOut x;
  CHECK(m.tree->mkdir(me(), sub_dir, "late", 0755, &x) == ESTALE);

  // The one who stays: a grant of the new epoch, read-write as before.
  auto kept = w.inboxes.to(w.stays.public_key());
  REQUIRE(kept.size() == 2);
  CHECK(kept.back().epoch == after.epoch);
  GrantContent opened = must(kept.back().open(w.stays));
  CHECK(opened.volume == after.volume);
  CHECK(opened.writable());
  // The revoked user: a withdrawal of the same slot, in the new epoch.
  auto gone = w.inboxes.to(w.goes.public_key());
  REQUIRE(gone.size() == 2);
  CHECK(gone.back().withdrawn());
  CHECK(gone.back().epoch == after.epoch);
  CHECK(gone.back().slot == gone.front().slot);
  // The records moved with the folder; no journal is left.
  auto records = m.hidden(ShareControl::kGrantRecord);
  REQUIRE(records.size() == 1);
  CHECK(records.begin()->first == std::string(ShareControl::kGrantRecord) + after.volume.hex() +
                                      "." + w.stays.public_key().hex());
  CHECK(m.hidden(RevokeJournal::kPrefix).empty());
  // The exposure report, read in pages.
  std::string report;
  REQUIRE(m.control->query(*m.tree, kRoot, std::string(ShareControl::kReport) + "0", &report) == 0);
  CHECK(report.find("/proj/a.txt  5 bytes") != std::string::npos);
  CHECK(report.find("cannot be taken back") != std::string::npos);
  std::string past;
  REQUIRE(m.control->query(*m.tree, kRoot, std::string(ShareControl::kReport) + "1", &past) == 0);
  CHECK(past.empty());
  // Revoked already.
  CHECK(m.request(moved, ShareControl::kRevoke, UserId::format(w.goes.public_key())) == ENOENT);
}

TEST_CASE("revoke: grants that did not reach the ring are sent by the next start") {
  World w;
  GrantContent after;
  {
    Mount m(w.store, w.owner, w.device, w.inboxes);
    uint64_t link = shared_folder(m, w.stays, w.goes);
    w.inboxes.up = false;
    CHECK(m.request(link, ShareControl::kRevoke, UserId::format(w.goes.public_key())) == EAGAIN);
    uint64_t moved = m.lookup(kRoot, "proj");
    CHECK(moved != link);  // the link moved: the revoke took effect for the owner
    after = link_content(m, moved);
    CHECK(m.hidden(RevokeJournal::kPrefix).size() == 1);
  }
  w.inboxes.up = true;
  Mount again(w.store, w.owner, w.device, w.inboxes);
  again.control->start(*again.tree);
  REQUIRE(again.settled());
  again.control->stop();
  auto kept = w.inboxes.to(w.stays.public_key());
  REQUIRE(kept.size() == 2);
  CHECK(must(kept.back().open(w.stays)).volume == after.volume);
  auto gone = w.inboxes.to(w.goes.public_key());
  REQUIRE(gone.size() == 2);
  CHECK(gone.back().withdrawn());
  auto records = again.hidden(ShareControl::kGrantRecord);
  REQUIRE(records.size() == 1);
  CHECK(records.begin()->first.find(after.volume.hex()) != std::string::npos);
  CHECK(again.read(again.lookup(kRoot, "proj"), "a.txt") == "alpha");
}

TEST_CASE("revoke: one killed before its link moved is rolled back; another computer's is not") {
  World w;
  uint64_t link;
  GrantContent before;
  RevokeJournal mine, theirs;
  {
    Mount m(w.store, w.owner, w.device, w.inboxes);
    link = shared_folder(m, w.stays, w.goes);
    before = link_content(m, link);
    // What a revoke killed in its copy or just before the link moved leaves behind.
    mine.stage = RevokeJournal::relink;
    mine.device = w.device;
    mine.revoked = w.goes.public_key();
    mine.old_link = link;
    mine.nonce.b.fill(7);
    REQUIRE(m.home->set_hidden(kRoot, std::string(RevokeJournal::kPrefix) + before.volume.hex(),
                               mine.encode()) == 0);
    // Another computer of the user, revoking something else (its journal syncs here).
    theirs = mine;
    theirs.stage = RevokeJournal::copy;
    theirs.device = SigningKey::generate().public_key();
    Id256 other;
    other.b.fill(9);
    REQUIRE(m.home->set_hidden(kRoot, std::string(RevokeJournal::kPrefix) + other.hex(),
                               theirs.encode()) == 0);
  }
  size_t posted = w.inboxes.got.size();
  Mount again(w.store, w.owner, w.device, w.inboxes);
  again.control->start(*again.tree);
  for (int i = 0; i < 500 && again.hidden(RevokeJournal::kPrefix).size() != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  again.control->stop();
  auto left = again.hidden(RevokeJournal::kPrefix);
  REQUIRE(left.size() == 1);  // the other computer's
  CHECK(must(RevokeJournal::decode(left.begin()->second)).device == theirs.device);
  // Nothing changed: the same link, the same grants, nothing sent.
  CHECK(again.lookup(kRoot, "proj") == link);
  CHECK(link_content(again, link).volume == before.volume);
  CHECK(again.hidden(ShareControl::kGrantRecord).size() == 2);
  CHECK(w.inboxes.got.size() == posted);
  // And the revoke can be made again.
  REQUIRE(again.request(link, ShareControl::kRevoke, UserId::format(w.goes.public_key())) == 0);
  CHECK(again.lookup(kRoot, "proj") != link);
}

}  // namespace
}  // namespace peerstore::host
