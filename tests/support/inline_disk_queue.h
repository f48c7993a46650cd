// InlineDiskQueue: tests only (the sim_support library): the simulator's DiskQueue. It writes
// each batch at once on the calling thread and reports through the Post it is given (a SimClock
// timer), so runs stay deterministic and completions keep the DiskQueue contract (never
// synchronous). Single-threaded.
#pragma once

#include "dht/disk_queue.h"

namespace peerstore {

class InlineDiskQueue final : public DiskQueue {
 public:
  InlineDiskQueue(LocalStore& store, Post post) : store_(store), post_(std::move(post)) {}

  void write(DiskBatch batch, Done done) override {
    Status st = store_.write(batch.batch());
    post_([done = std::move(done), st = std::move(st)] { done(st); });
  }
  void post(std::function<void()> fn) override { post_(std::move(fn)); }

 private:
  LocalStore& store_;
  Post post_;
};

}  // namespace peerstore
