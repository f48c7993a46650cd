#include "dht/thread_disk_queue.h"

#include "common/thread_name.h"

namespace peerstore {

ThreadDiskQueue::ThreadDiskQueue(LocalStore& store, Post post_to_loop)
    : store_(store), post_(std::move(post_to_loop)), worker_([this] {
        name_this_thread("ps-disk");  // the node's writes, apart from the loop in profiles
        run();
      }) {}

ThreadDiskQueue::~ThreadDiskQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  worker_.join();
}

void ThreadDiskQueue::write(DiskBatch batch, Done done) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(Job{std::move(batch), std::move(done)});
  }
  wake_.notify_one();
}

void ThreadDiskQueue::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, and everything queued is written
    {
      Job job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      Status st = store_.write(job.batch.batch());
      post_([done = std::move(job.done), st = std::move(st)] { done(st); });
    }
    lock.lock();
  }
}

}  // namespace peerstore
