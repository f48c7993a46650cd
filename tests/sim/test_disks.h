// Disks for the storage tests: FlakyStore, a MemoryStore whose writes can be made to fail (all,
// or those holding one block) or slow, whose reads of head rows can be counted or made to fail,
// and that notes the thread each write ran on and the order blocks were written in; and
// SteppedDiskQueue, a DiskQueue the test steps by hand (batches wait for commit(), posted answers
// for run_posted()). FlakyStore is thread-safe; SteppedDiskQueue is single-threaded.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "dht/disk_queue.h"
#include "store/memory_store.h"

namespace peerstore::sim {

class FlakyStore final : public LocalStore {
 public:
  std::atomic<bool> fail_writes{false};
  std::atomic<int> delay_ms{0};
  std::optional<BlockId> poison;   // a batch holding it fails; set before writes start
  std::atomic<int> head_reads{0};  // heads() calls
  std::atomic<bool> fail_head_reads{false};

  Result<Bytes> get(const BlockId& id) override { return mem_.get(id); }
  Result<bool> contains(const BlockId& id) override { return mem_.contains(id); }
  Status for_each_id(const std::function<bool(const BlockId&, size_t)>& fn) override {
    return mem_.for_each_id(fn);
  }
  Result<std::vector<Bytes>> heads(const VolumeId& volume) override {
    ++head_reads;
    if (fail_head_reads) return fail(Errc::io, "the test's disk refuses reads");
    return mem_.heads(volume);
  }
  Status for_each_volume(const std::function<bool(const VolumeId&)>& fn) override {
    return mem_.for_each_volume(fn);
  }
  Status write(const WriteBatch& batch) override {
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    std::lock_guard lock(mu_);
    writers_.push_back(std::this_thread::get_id());
    if (fail_writes) return fail(Errc::io, "the test's disk refuses writes");
    for (auto& b : batch.blocks)
      if (poison && b.id == *poison) return fail(Errc::io, "the test's disk refuses this batch");
    for (auto& b : batch.blocks) order_.push_back(b.id);
    return mem_.write(batch);
  }
  Result<StoreStats> stats() override { return mem_.stats(); }

  // The blocks written, in order, and the thread of every write() call.
  std::vector<BlockId> order() {
    std::lock_guard lock(mu_);
    return order_;
  }
  std::vector<std::thread::id> writers() {
    std::lock_guard lock(mu_);
    return writers_;
  }

 private:
  MemoryStore mem_;
  std::mutex mu_;
  std::vector<BlockId> order_;            // guarded by mu_
  std::vector<std::thread::id> writers_;  // guarded by mu_
};

class SteppedDiskQueue final : public DiskQueue {
 public:
  explicit SteppedDiskQueue(LocalStore& store) : store_(store) {}

  void write(DiskBatch batch, Done done) override {
    writes_.push_back(Write{std::move(batch), std::move(done)});
  }
  void post(std::function<void()> fn) override { posted_.push_back(std::move(fn)); }

  size_t writing() const { return writes_.size(); }
  bool saw_durable() const { return saw_durable_; }
  // Writes the oldest batch and reports it. Returns how many keys it held.
  size_t commit() {
    Write w = std::move(writes_.front());
    writes_.pop_front();
    const WriteBatch& b = w.batch.batch();
    saw_durable_ |= b.durable;
    w.done(store_.write(b));
    return b.blocks.size() + b.heads.size();
  }
  void run_posted() {
    auto fns = std::move(posted_);
    posted_.clear();
    for (auto& fn : fns) fn();
  }
  // Until nothing is left to write or answer.
  void settle() {
    while (!writes_.empty() || !posted_.empty()) {
      run_posted();
      if (!writes_.empty()) commit();
    }
  }

 private:
  struct Write {
    DiskBatch batch;
    Done done;
  };
  LocalStore& store_;
  std::deque<Write> writes_;
  std::vector<std::function<void()>> posted_;
  bool saw_durable_ = false;
};

}  // namespace peerstore::sim
