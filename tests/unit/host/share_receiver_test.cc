// ShareReceiver over a stand-in inbox: a grant shows as a link under /shared, a newer epoch of
// the same folder (a revoke) replaces it, a withdrawal removes it, and after a restart a storage
// node that replays the older grant cannot bring it back (the withdrawal is remembered).
#include "host/share_receiver.h"

#include <doctest/doctest.h>
#include <sodium.h>
#include <unistd.h>

#include "../common/must.h"
#include "store/memory_store.h"

namespace peerstore::host {
namespace {

using test::must;

struct FakeInbox {
  std::mutex m;
  std::vector<Bytes> grants;
  ShareReceiver::Inbox inbox() {
    ShareReceiver::Inbox in;
    in.read = [this]() -> Result<std::vector<Bytes>> {
      std::lock_guard lock(m);
      return grants;
    };
    in.watch = [](std::function<void()>) {};
    return in;
  }
  void set(std::vector<Bytes> g) {
    std::lock_guard lock(m);
    grants = std::move(g);
  }
};

struct World {
  MemoryStore store;
  SigningKey user = SigningKey::generate(), grantor = SigningKey::generate();
  PublicKey device = SigningKey::generate().public_key();
  std::unique_ptr<FileSystem> home;
  FakeInbox inbox;
  Id256 lineage;

  World() {
    FileSystem::Options o;
    o.statfs_path = "/";
    auto vol = must(Volume::open(store, VolumeKeys::derive_home(user), device));
    home = must(FileSystem::open(std::move(vol), o, Caller{getuid(), getgid()}));
    lineage.b.fill(0x11);
  }
  GrantContent content(uint64_t epoch) {
    GrantContent c;
    c.volume.b.fill(uint8_t(0x20 + epoch));
    c.read_key = Secret(32);
    c.convergence = Secret(32);
    randombytes_buf(c.read_key.data(), 32);
    randombytes_buf(c.convergence.data(), 32);
    c.folder = "proj";
    c.grantor = grantor.public_key();
    c.recipient = user.public_key();
    c.lineage = lineage;
    c.epoch = epoch;
    c.time_ns = 1000 + int64_t(epoch);
    return c;
  }
  Bytes grant(uint64_t epoch) { return must(Grant::make(grantor, content(epoch))).encode(); }
  Bytes withdrawal(uint64_t epoch) {
    return Grant::withdraw(grantor, user.public_key(), lineage, epoch, 2000 + int64_t(epoch))
        .encode();
  }
  std::unique_ptr<ShareReceiver> receiver() {
    return std::make_unique<ShareReceiver>(inbox.inbox(), *home, user, Caller{getuid(), getgid()});
  }
  // The volumes of the links under /shared.
  std::vector<VolumeId> shown() {
    std::vector<FileSystem::FoundLink> found;
    REQUIRE(home->links_below({"shared"}, &found) == 0);
    std::vector<VolumeId> out;
    for (auto& f : found)
      out.push_back(must(GrantContent::decode(ByteView(f.link->data(), f.link->size()))).volume);
    return out;
  }
};

TEST_CASE("ShareReceiver: a grant shows, a newer epoch replaces it, a withdrawal removes it") {
  World w;
  auto r = w.receiver();
  w.inbox.set({w.grant(0)});
  REQUIRE(r->round().ok());
  REQUIRE(w.shown().size() == 1);
  CHECK(w.shown()[0] == w.content(0).volume);
  w.inbox.set({w.grant(0), w.grant(1)});  // a revoke: the same slot, the next epoch
  REQUIRE(r->round().ok());
  REQUIRE(w.shown().size() == 1);
  CHECK(w.shown()[0] == w.content(1).volume);
  w.inbox.set({w.withdrawal(2)});
  REQUIRE(r->round().ok());
  CHECK(w.shown().empty());
}

TEST_CASE("ShareReceiver: after a restart, a replayed older grant does not undo a withdrawal") {
  World w;
  {
    auto r = w.receiver();
    w.inbox.set({w.grant(0)});
    REQUIRE(r->round().ok());
    REQUIRE(w.shown().size() == 1);
    w.inbox.set({w.withdrawal(1)});
    REQUIRE(r->round().ok());
    CHECK(w.shown().empty());
  }
  // A storage node serves the first grant again, and nothing newer.
  w.inbox.set({w.grant(0)});
  auto again = w.receiver();
  again->start();
  again->stop();
  REQUIRE(again->round().ok());
  CHECK(w.shown().empty());
  // A grant newer than the withdrawal (shared again) shows.
  w.inbox.set({w.grant(2)});
  Status st = again->round();
  REQUIRE_MESSAGE(st.ok(), st.error().message());
  REQUIRE(w.shown().size() == 1);
  CHECK(w.shown()[0] == w.content(2).volume);
}

}  // namespace
}  // namespace peerstore::host
