// merge_bench: live sync's merge cost (issue 13). Two computers of one user in one process
// (FileSystems over a NetworkLikeStore, no network) diverge, then one merges the other's head:
//   divergence D: each side creates D files in one directory and rewrites D/10 shared files;
//     prints the time of the merging sync() for D = 100, 1,000, 10,000;
//   tree size T: a tree of T files, then one file changed on each side; prints the merge time
//     for T = 10 and T = --big (default 100,000), to show it does not grow with the tree.
// Usage: merge_bench [--big N]. Prints "merge_bench: ..." lines.
#include <fcntl.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "fs/file_system.h"
#include "support/network_like_store.h"

using namespace peerstore;

namespace {

VolumeKeys keys() {
  Bytes seed(32, 0x5a);
  return VolumeKeys::derive_home(SigningKey::from_seed(Secret(seed)));
}

std::unique_ptr<FileSystem> open_computer(LocalStore& store, uint8_t n) {
  Bytes seed(32, uint8_t(0xa0 + n));
  auto vol = Volume::open(store, keys(), SigningKey::from_seed(Secret(seed)).public_key());
  if (!vol) std::abort();
  FileSystem::Options o;
  o.statfs_path = "/";
  auto fs = FileSystem::open(std::move(*vol), o, Caller{0, 0});
  if (!fs) std::abort();
  return std::move(*fs);
}

void must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "merge_bench: %s failed\n", what);
    std::exit(1);
  }
}

uint64_t create(FileSystem& fs, uint64_t dir, const std::string& name, const std::string& text) {
  EntryOut e;
  must(fs.create(Caller{0, 0}, dir, name, 0644, O_RDWR, &e) == 0, "create");
  fs.release(e.ino);
  Bytes b(text.begin(), text.end());
  must(fs.write(e.ino, 0, b) == ssize_t(b.size()), "write");
  return e.ino;
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

// Two computers with a shared tree of `tree` files; each then changes `changes` files
// (creates) and rewrites `rewrites` shared ones; returns the merge time on the second.
double run(size_t tree, size_t changes, size_t rewrites) {
  test::NetworkLikeStore net;
  auto a = open_computer(net, 1);
  EntryOut d;
  must(a->mkdir(Caller{0, 0}, 1, "d", 0755, &d) == 0, "mkdir");
  std::vector<uint64_t> shared;
  for (size_t i = 0; i < tree; ++i)
    shared.push_back(create(*a, d.ino, "base-" + std::to_string(i), "base " + std::to_string(i)));
  must(a->commit() == 0, "commit");
  auto b = open_computer(net, 2);
  for (size_t i = 0; i < changes; ++i) {
    create(*a, d.ino, "a-" + std::to_string(i), "from a");
    create(*b, d.ino, "b-" + std::to_string(i), "from b");
  }
  for (size_t i = 0; i < rewrites && i < shared.size(); ++i) {
    Bytes x{'a'}, y{'b'};
    must(a->write(shared[i], 0, x) == 1 && b->write(shared[i], 1, y) == 1, "rewrite");
  }
  must(a->commit() == 0 && b->commit() == 0, "commit");
  auto t = std::chrono::steady_clock::now();
  must(b->sync() == 0, "sync");
  double took = ms_since(t);
  must(b->sync_stats().merges == 1, "one merge");
  return took;
}

}  // namespace

int main(int argc, char** argv) {
  size_t big = 100000;
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--big") == 0 && i + 1 < argc)
      big = std::strtoull(argv[++i], nullptr, 10);
  for (size_t d : {100, 1000, 10000})
    std::printf(
        "merge_bench: divergence %zu files created + %zu rewritten per side: merge %.1f ms\n", d,
        d / 10, run(d, d, d / 10));
  for (size_t t : {size_t(10), big})
    std::printf("merge_bench: tree of %zu files, one file created per side: merge %.1f ms\n", t,
                run(t, 1, 0));
  return 0;
}
