#include "fs/chunk_sealer.h"

#include "common/thread_name.h"

namespace peerstore {

ChunkSealer::ChunkSealer(BlockIo& io, int threads, size_t max_queued)
    : io_(io), max_queued_(max_queued) {
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] {
      name_this_thread("ps-seal");
      run();
    });
}

ChunkSealer::~ChunkSealer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  has_work_.notify_all();
  has_room_.notify_all();
  for (auto& t : threads_) t.join();
}

void ChunkSealer::submit(std::shared_ptr<const Bytes> data, size_t len, Done done) {
  enqueue(Job{std::move(data), nullptr, len, std::move(done), 0});
}

void ChunkSealer::submit(Prepare prepare, size_t len, Done done) {
  enqueue(Job{nullptr, std::move(prepare), len, std::move(done), 0});
}

void ChunkSealer::seal_here(std::shared_ptr<const Bytes> data, size_t len, Done done) {
  Job job{std::move(data), nullptr, len, std::move(done), 0};
  std::unique_lock lock(mu_);
  uint64_t seq = start(job);
  lock.unlock();
  seal(job);
  lock.lock();
  finish(seq);
}

uint64_t ChunkSealer::start(Job& job) {
  job.seq = next_seq_++;
  outstanding_.insert(job.seq);
  return job.seq;
}

void ChunkSealer::finish(uint64_t seq) {
  outstanding_.erase(outstanding_.find(seq));
  finished_.notify_all();
}

void ChunkSealer::enqueue(Job job) {
  std::unique_lock lock(mu_);
  has_room_.wait(lock, [this] { return queue_.size() < max_queued_ || stop_; });
  start(job);
  queue_.push_back(std::move(job));
  has_work_.notify_one();
}

void ChunkSealer::drain() {
  std::unique_lock lock(mu_);
  const uint64_t before = next_seq_;
  finished_.wait(lock, [&] { return outstanding_.empty() || *outstanding_.begin() >= before; });
}

void ChunkSealer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    has_work_.wait(lock, [this] { return !queue_.empty() || stop_; });
    if (queue_.empty()) return;  // stopping and drained
    Job job = std::move(queue_.front());
    queue_.pop_front();
    has_room_.notify_one();
    lock.unlock();
    seal(job);
    lock.lock();
    finish(job.seq);
  }
}

void ChunkSealer::seal(Job& job) {
  if (job.prepare) {
    auto made = job.prepare();
    if (!made) return job.done(made.error());
    job.data = std::move(*made);
  }
  job.done(io_.write(ByteView(job.data->data(), job.len)));
}

}  // namespace peerstore
