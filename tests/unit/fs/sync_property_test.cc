// Live sync over random concurrent histories: 2 and 3 computers make random changes (creates,
// writes, renames, deletes, mkdir, directory moves, chmod, xattrs) and commit and sync at
// random moments. Whatever the order, they converge to the byte-identical tree, the tree is
// consistent (names, link counts, no cycle), and no file that nobody deleted is lost.
// PEERSTORE_SYNC_SEED=N replays one seed.
#include <doctest/doctest.h>

#include <cstdlib>
#include <random>

#include "sync_harness.h"

namespace peerstore {
namespace {

using namespace test;

struct World {
  std::mt19937_64 rng;
  std::vector<uint64_t> dirs{kRoot};
  std::set<uint64_t> files;      // created and never unlinked by anyone
  std::set<uint64_t> all_files;  // every file created
  int next = 0;

  explicit World(uint64_t seed) : rng(seed) {}
  size_t pick(size_t n) { return size_t(rng() % n); }
  std::string fresh(const std::string& stem) { return stem + "-" + std::to_string(next++); }
};

// Names in `dir` on computer `c`, or nothing if `c` does not have that directory yet.
std::vector<std::pair<std::string, uint64_t>> entries(Computer& c, uint64_t dir, bool want_dirs) {
  std::vector<std::pair<std::string, uint64_t>> out;
  c.fs->readdir(dir, 0, true, [&](std::string_view name, const struct stat& st, uint64_t) {
    if (name != "." && name != ".." && S_ISDIR(st.st_mode) == want_dirs)
      out.emplace_back(std::string(name), uint64_t(st.st_ino));
    return true;
  });
  return out;
}

void random_op(World& w, Computer& c) {
  uint64_t dir = w.dirs[w.pick(w.dirs.size())];
  EntryOut e;
  int r = int(w.pick(100));
  if (r < 25) {
    if (c.fs->create(root_caller(), dir, w.fresh("f"), 0644, O_RDWR, &e) != 0) return;
    c.fs->release(e.ino);
    c.fs->write(e.ino, 0, to_bytes("v" + std::to_string(w.next)));
    w.files.insert(e.ino);
    w.all_files.insert(e.ino);
  } else if (r < 40) {
    auto fs = entries(c, dir, false);
    if (fs.empty()) return;
    auto& [name, ino] = fs[w.pick(fs.size())];
    c.fs->write(ino, w.pick(3), to_bytes("edit" + std::to_string(w.next++)));
  } else if (r < 50) {
    auto fs = entries(c, dir, false);
    if (fs.empty()) return;
    auto& [name, ino] = fs[w.pick(fs.size())];
    c.fs->rename(dir, name, w.dirs[w.pick(w.dirs.size())], w.fresh("r"), 0);
  } else if (r < 57) {
    auto fs = entries(c, dir, false);
    if (fs.empty()) return;
    auto& [name, ino] = fs[w.pick(fs.size())];
    if (c.fs->unlink(dir, name) == 0) w.files.erase(ino);
  } else if (r < 63) {
    if (c.fs->mkdir(root_caller(), dir, w.fresh("d"), 0755, &e) == 0) w.dirs.push_back(e.ino);
  } else if (r < 68) {
    auto ds = entries(c, dir, true);
    if (ds.empty()) return;
    auto& [name, ino] = ds[w.pick(ds.size())];
    c.fs->rename(dir, name, w.dirs[w.pick(w.dirs.size())], name, 0);  // EINVAL into itself
  } else if (r < 72) {
    auto fs = entries(c, dir, false);
    if (fs.empty()) return;
    struct stat in {
    }, out{};
    in.st_mode = mode_t(0600 + w.pick(0100));
    c.fs->setattr(fs[w.pick(fs.size())].second, in, FUSE_SET_ATTR_MODE, &out);
  } else if (r < 76) {
    auto fs = entries(c, dir, false);
    if (fs.empty()) return;
    c.fs->setxattr(fs[w.pick(fs.size())].second, "user.n" + std::to_string(w.pick(3)),
                   to_bytes(std::to_string(w.next++)), 0);
  } else if (r < 90) {
    REQUIRE(c.fs->commit() == 0);
  } else {
    c.sync();
  }
}

uint64_t run_seed(uint64_t seed) {
  CAPTURE(seed);
  World w(seed);
  NetworkLikeStore net;
  size_t n = 2 + seed % 2;
  std::vector<std::unique_ptr<Computer>> cs;
  for (size_t i = 0; i < n; ++i) cs.push_back(std::make_unique<Computer>(net, uint8_t(i + 1)));
  std::vector<Computer*> all;
  for (auto& c : cs) all.push_back(c.get());
  for (int step = 0; step < 150; ++step) random_op(w, *cs[w.pick(n)]);
  for (auto* c : all) REQUIRE(c->fs->commit() == 0);
  converge(all);
  for (auto* c : all) {
    c->check_tree();
    for (uint64_t ino : w.files) {
      struct stat st {};
      CHECK_MESSAGE(c->fs->getattr(ino, &st) == 0, "file " << ino << " was lost");
      CHECK_MESSAGE(st.st_nlink >= 1, "file " << ino << " has no name");
    }
  }
  uint64_t merges = 0;
  for (auto* c : all) merges += c->fs->sync_stats().merges;
  return merges;
}

TEST_CASE("sync: random concurrent histories of 2 and 3 computers converge and lose nothing") {
  if (const char* s = std::getenv("PEERSTORE_SYNC_SEED")) {
    run_seed(std::strtoull(s, nullptr, 10));
    return;
  }
  uint64_t merges = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    INFO("replay with PEERSTORE_SYNC_SEED=" << seed);
    merges += run_seed(seed);
  }
  CHECK(merges >= 40);  // the histories were concurrent, not one computer after another
  MESSAGE("merges over 40 seeds: " << merges);
}

}  // namespace
}  // namespace peerstore
