// ChunkSealer: seals file chunks, either on the caller's thread (seal_here: a FUSE write that
// fills a chunk) or on a small pool of threads (submit: a commit's many patched chunks, which
// one thread would seal one after the other). Either way drain() sees it. The pool's queue is
// bounded: submit() blocks while it is full, which is the back-pressure that keeps memory
// flat. Thread-safe.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "fs/block_io.h"

namespace peerstore {

class ChunkSealer {
 public:
  using Done = std::function<void(Result<BlockPtr>)>;
  // Makes the bytes to seal on the sealer thread (a patched chunk read and merged in full).
  using Prepare = std::function<Result<std::shared_ptr<const Bytes>>()>;

  ChunkSealer(BlockIo& io, int threads, size_t max_queued);
  ~ChunkSealer();  // finishes queued work, then joins
  ChunkSealer(const ChunkSealer&) = delete;
  ChunkSealer& operator=(const ChunkSealer&) = delete;

  // Seals data[0, len) and calls done(pointer) on a sealer thread. Never call with a lock that
  // `done` takes.
  void submit(std::shared_ptr<const Bytes> data, size_t len, Done done);
  // The same for bytes `prepare` makes first; its error goes to `done`.
  void submit(Prepare prepare, size_t len, Done done);
  // Seals data[0, len) on this thread and calls done(pointer) before it returns. With the
  // kernel's writeback cache, writes reach the file system on several FUSE threads at once, so
  // a sequential writer keeps the cores busy without a hand-over: the chunk is sealed on the
  // core that just copied it in, and no thread is woken for it (docs/performance.md).
  void seal_here(std::shared_ptr<const Bytes> data, size_t len, Done done);
  // Waits until every chunk submitted before the call is sealed and its `done` has run. A
  // commit calls it first (with no lock that `done` takes): a chunk still being sealed when
  // the commit seals the tree would otherwise be sealed there too, and then written, claimed
  // and uploaded twice.
  void drain();

 private:
  struct Job {
    std::shared_ptr<const Bytes> data;  // or, made by `prepare`
    Prepare prepare;
    size_t len;
    Done done;
    uint64_t seq;
  };
  void run();
  void seal(Job& job);        // without mu_
  uint64_t start(Job& job);   // with mu_: numbers the job and counts it outstanding
  void finish(uint64_t seq);  // with mu_
  void enqueue(Job job);

  BlockIo& io_;
  size_t max_queued_;
  std::mutex mu_;
  std::condition_variable has_work_, has_room_, finished_;
  std::deque<Job> queue_;
  uint64_t next_seq_ = 0;
  std::multiset<uint64_t> outstanding_;  // seqs queued or being sealed
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace peerstore
