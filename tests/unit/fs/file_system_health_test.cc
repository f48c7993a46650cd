// The peerstore.* virtual attributes over a fake HealthSource: each asks about exactly the
// blocks reading the inode needs (its content and, for a directory, everything below it, plus
// the version's metadata), commits first so unsaved writes count, is never listed, set or
// removed, and answers size queries without asking anyone.
#include <doctest/doctest.h>
#include <sys/xattr.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;

// Copies per block (3 unless set), bytes waiting per block, and the conflict log.
struct FakeHealth final : HealthSource {
  std::map<BlockId, uint32_t> copies;
  std::set<BlockId> waiting;
  std::vector<ConflictRecord> log;
  std::vector<BlockId> last;  // the ids of the last question
  int asked = 0;

  Result<uint32_t> fewest_copies(const std::vector<BlockId>& ids) override {
    last = ids;
    ++asked;
    uint32_t fewest = 3;
    for (auto& id : ids)
      if (auto it = copies.find(id); it != copies.end()) fewest = std::min(fewest, it->second);
    return fewest;
  }
  uint64_t pending_bytes(const std::vector<BlockId>& ids) override {
    last = ids;
    ++asked;
    uint64_t n = 0;
    for (auto& id : ids) n += 10 * waiting.count(id);
    return n;
  }
  std::vector<ConflictRecord> conflicts() override { return log; }
};

std::string attr(FsHarness& h, uint64_t ino, const std::string& name, int* rc = nullptr) {
  Bytes out;
  size_t size = 0;
  int e = h.fs->getxattr(ino, name, 64, &out, &size);
  if (rc) *rc = e;
  if (!rc) REQUIRE_MESSAGE(e == 0, name << ": " << strerror(e));
  return std::string(out.begin(), out.end());
}

std::set<BlockId> asked_about(FsHarness& h, FakeHealth& fake, uint64_t ino) {
  attr(h, ino, "peerstore.replicas");
  return {fake.last.begin(), fake.last.end()};
}

TEST_CASE("FileSystem: peerstore.replicas and peerstore.pending ask about the blocks under it") {
  FakeHealth fake;
  FsHarness h(&fake);
  uint64_t a = h.create(kRoot, "a.bin");
  h.write(a, 0, pattern(200 << 10, 1));
  uint64_t d = h.mkdir(kRoot, "d");
  uint64_t b = h.create(d, "b.bin");
  h.write(b, 0, pattern(200 << 10, 2));
  uint64_t e = h.create(kRoot, "empty");
  // Not committed yet: the question commits first, so a's chunks are blocks by then.
  std::set<BlockId> meta = asked_about(h, fake, e);
  std::set<BlockId> of_a = asked_about(h, fake, a);
  std::set<BlockId> of_b = asked_about(h, fake, b);
  std::set<BlockId> of_root = asked_about(h, fake, kRoot);
  CHECK(!meta.empty());  // the head, the root block, the inode table
  for (auto& id : meta) CHECK(of_a.count(id));
  std::vector<BlockId> content_a, content_b;
  std::set_difference(of_a.begin(), of_a.end(), meta.begin(), meta.end(),
                      std::back_inserter(content_a));
  std::set_difference(of_b.begin(), of_b.end(), meta.begin(), meta.end(),
                      std::back_inserter(content_b));
  CHECK(content_a.size() >= 4);  // 200 KiB in 64 KiB chunks
  for (auto& id : content_a) CHECK(!of_b.count(id));
  for (auto& id : content_a) CHECK(of_root.count(id));
  for (auto& id : content_b) CHECK(of_root.count(id));

  // One of a's chunks has a single copy: a and the root say 1; b and its directory say 3.
  fake.copies[content_a[0]] = 1;
  CHECK(attr(h, a, "peerstore.replicas") == "1");
  CHECK(attr(h, kRoot, "peerstore.replicas") == "1");
  CHECK(attr(h, b, "peerstore.replicas") == "3");
  CHECK(attr(h, d, "peerstore.replicas") == "3");
  // Two of b's blocks wait for upload: 10 bytes each in the fake.
  fake.waiting = {content_b[0], content_b[1]};
  CHECK(attr(h, b, "peerstore.pending") == "20");
  CHECK(attr(h, d, "peerstore.pending") == "20");
  CHECK(attr(h, kRoot, "peerstore.pending") == "20");
  CHECK(attr(h, a, "peerstore.pending") == "0");

  // A later write is committed by the question: its new chunk is asked about.
  h.write(a, 0, pattern(64 << 10, 3));
  std::set<BlockId> again = asked_about(h, fake, a);
  CHECK(again != of_a);
}

TEST_CASE("FileSystem: peerstore.conflicts counts the conflict copies that still exist") {
  FakeHealth fake;
  FsHarness h(&fake);
  uint64_t d = h.mkdir(kRoot, "d");
  uint64_t x = h.create(d, "x.txt");
  h.create(d, "x (conflict 1).txt");
  uint64_t y = h.create(kRoot, "y.txt");
  fake.log = {{"/d/x.txt", "/d/x (conflict 1).txt", "aa", "bb", 1},
              {"/d/x.txt", "/d/x (conflict 2).txt", "aa", "bb", 2},  // deleted since
              {"/y.txt", "/y (conflict 1).txt", "aa", "bb", 3}};     // never there
  CHECK(attr(h, x, "peerstore.conflicts") == "1");
  CHECK(attr(h, d, "peerstore.conflicts") == "1");
  CHECK(attr(h, kRoot, "peerstore.conflicts") == "1");
  CHECK(attr(h, y, "peerstore.conflicts") == "0");
  REQUIRE(h.fs->unlink(d, "x (conflict 1).txt") == 0);
  CHECK(attr(h, x, "peerstore.conflicts") == "0");
  CHECK(attr(h, kRoot, "peerstore.conflicts") == "0");
}

TEST_CASE("FileSystem: the peerstore.* attributes are never listed, set or removed") {
  FakeHealth fake;
  FsHarness h(&fake);
  uint64_t f = h.create(kRoot, "f");
  REQUIRE(h.fs->setxattr(f, "user.k", to_bytes("v"), 0) == 0);
  Bytes list;
  size_t size = 0;
  REQUIRE(h.fs->listxattr(f, 4096, &list, &size) == 0);
  CHECK(std::string(list.begin(), list.end()) == std::string("user.k\0", 7));
  CHECK(h.fs->setxattr(f, "peerstore.replicas", to_bytes("9"), 0) == EPERM);
  CHECK(h.fs->setxattr(f, "peerstore.mine", to_bytes("9"), 0) == EPERM);
  CHECK(h.fs->removexattr(f, "peerstore.replicas") == EPERM);
  int rc = 0;
  attr(h, f, "peerstore.nonsense", &rc);
  CHECK(rc == ENODATA);
  // A size query gets room for any value and asks nobody.
  int asked = fake.asked;
  Bytes out;
  REQUIRE(h.fs->getxattr(f, "peerstore.replicas", 0, &out, &size) == 0);
  CHECK(size == 20);
  CHECK(fake.asked == asked);
  CHECK(attr(h, f, "peerstore.replicas") == "3");
  CHECK(fake.asked == asked + 1);
  CHECK(h.fs->getxattr(f, "peerstore.replicas", 0, &out, &size) == 0);

  // Without a source (a file system with no network) they are absent.
  FsHarness plain;
  uint64_t g = plain.create(kRoot, "g");
  attr(plain, g, "peerstore.replicas", &rc);
  CHECK(rc == ENODATA);
  CHECK(plain.fs->getxattr(g, "peerstore.pending", 0, &out, &size) == ENODATA);
}

TEST_CASE("FileSystem: peerstore.replicas while another thread writes and commits") {
  // The question reads the volume's head, which commits move under their own lock.
  FakeHealth fake;
  FsHarness h(&fake);
  uint64_t a = h.create(kRoot, "a");
  uint64_t b = h.create(kRoot, "b");
  h.write(a, 0, pattern(100 << 10, 1));
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (uint32_t i = 0; !stop; ++i) {
      Bytes data = pattern(70 << 10, i);
      h.fs->write(b, 0, data);
      h.fs->commit();
    }
  });
  int wrong = 0;
  for (int i = 0; i < 2000; ++i) {
    Bytes out;
    size_t size = 0;
    int e = h.fs->getxattr(a, "peerstore.replicas", 64, &out, &size);
    wrong += e != 0 || std::string(out.begin(), out.end()) != "3";
  }
  stop = true;
  writer.join();
  CHECK(wrong == 0);
}

}  // namespace
}  // namespace peerstore
