// FileSystem is called from libfuse's worker threads and its own committer, and seals full
// chunks on a worker pool outside its lock. Several writers, readers and commits at once must
// leave every file exactly as written, in memory and after a reopen.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "fs_harness.h"

namespace peerstore {
namespace {

using namespace test;
constexpr uint64_t kChunk = ChunkTree::kChunkSize;

TEST_CASE("FileSystem: concurrent writers, readers and commits") {
  MemoryStore store;
  constexpr int kFiles = 4;
  constexpr size_t kSize = 40 * kChunk + 1234;
  std::vector<uint64_t> inos(kFiles);
  std::vector<Bytes> contents(kFiles);
  {
    auto fs = open_fs(store, /*commit_interval_ms=*/3);
    fs->start_committer();
    for (int i = 0; i < kFiles; ++i) {
      EntryOut e;
      REQUIRE(fs->create(root_caller(), kRoot, "f" + std::to_string(i), 0644, O_RDWR, &e) == 0);
      inos[i] = e.ino;
      contents[i] = pattern(kSize, 100 + i);
    }
    std::atomic<int> failures{0};
    std::atomic<bool> done{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kFiles; ++i) {
      threads.emplace_back([&, i] {
        // Sequential writes in pieces that straddle chunk edges, then overwrite a middle part.
        const Bytes& c = contents[i];
        for (size_t off = 0; off < c.size();) {
          size_t n = std::min<size_t>(c.size() - off, 3 * 4096 + 77 * size_t(i + 1));
          if (fs->write(inos[i], off, ByteView(c.data() + off, n)) != ssize_t(n)) ++failures;
          off += n;
        }
        if (fs->write(inos[i], 5 * kChunk - 100, ByteView(c.data() + 5 * kChunk - 100, 300)) != 300)
          ++failures;
      });
    }
    // A reader checking that whatever prefix is there is right (the size grows while it reads).
    threads.emplace_back([&] {
      while (!done) {
        for (int i = 0; i < kFiles; ++i) {
          Bytes out;
          if (fs->read(inos[i], 0, 3 * kChunk, &out) != 0) ++failures;
          if (!std::equal(out.begin(), out.end(), contents[i].begin())) ++failures;
        }
      }
    });
    for (int i = 0; i < kFiles; ++i) threads[i].join();
    done = true;
    threads.back().join();
    CHECK(failures == 0);
    REQUIRE(fs->commit() == 0);
    for (int i = 0; i < kFiles; ++i) {
      Bytes out;
      REQUIRE(fs->read(inos[i], 0, kSize + 10, &out) == 0);
      CHECK(out == contents[i]);
    }
  }  // destroys the FileSystem: committer and sealers stop
  auto fs = open_fs(store);
  for (int i = 0; i < kFiles; ++i) {
    Bytes out;
    REQUIRE(fs->read(inos[i], 0, kSize + 10, &out) == 0);
    CHECK(out == contents[i]);
  }
}

}  // namespace
}  // namespace peerstore
