// ThreadDiskQueue: the production DiskQueue: one worker thread commits the batches in order and
// posts each result to the loop (LoopThread::post; no libuv here). Thread-safe; the destructor
// writes what is still queued and joins the worker (the loop may drop the results posted then).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "dht/disk_queue.h"

namespace peerstore {

class ThreadDiskQueue final : public DiskQueue {
 public:
  // `store` must outlive the queue.
  ThreadDiskQueue(LocalStore& store, Post post_to_loop);
  ~ThreadDiskQueue() override;
  ThreadDiskQueue(const ThreadDiskQueue&) = delete;
  ThreadDiskQueue& operator=(const ThreadDiskQueue&) = delete;

  void write(DiskBatch batch, Done done) override;
  void post(std::function<void()> fn) override { post_(std::move(fn)); }

 private:
  struct Job {
    DiskBatch batch;
    Done done;
  };
  void run();

  LocalStore& store_;
  Post post_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::thread worker_;     // last: starts once everything above exists
};

}  // namespace peerstore
