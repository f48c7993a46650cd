// DiskQueue: where a node's LocalStore writes go so that the loop thread never waits for the disk
// (DESIGN §7). A DiskBatch owns the bytes it writes, so it can wait in a queue and cross to a
// worker thread. Loop thread only; completions run on the loop thread, never inside the call.
// Conformance suite: tests/sim/disk_queue_conformance_test.cc.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "store/local_store.h"

namespace peerstore {

// A WriteBatch together with the bytes its records point at. Blocks are shared, not copied: the
// writer keeps serving them from memory until the write has committed.
class DiskBatch {
 public:
  explicit DiskBatch(bool durable) { batch_.durable = durable; }

  void add_block(const BlockId& id, std::shared_ptr<const Bytes> data) {
    batch_.blocks.push_back(BlockRecord{id, *data});
    owned_.push_back(std::move(data));
  }
  void add_heads(const VolumeId& volume, std::vector<Bytes> heads) {
    batch_.heads.emplace_back(volume, std::move(heads));
  }
  void add_erase(const BlockId& id) { batch_.erase.push_back(id); }
  // The erases skip blocks written to the store after `mark` (WriteBatch::erase_guard).
  void guard_erases(std::shared_ptr<const WriteMark> mark) { batch_.erase_guard = std::move(mark); }
  bool empty() const {
    return batch_.blocks.empty() && batch_.heads.empty() && batch_.erase.empty();
  }
  // Valid while this DiskBatch lives (moves keep it valid: the bytes never move).
  const WriteBatch& batch() const { return batch_; }

 private:
  WriteBatch batch_;
  std::vector<std::shared_ptr<const Bytes>> owned_;
};

class DiskQueue {
 public:
  using Done = std::function<void(Status)>;
  // Runs a function on the loop thread later (a LoopThread's post, a zero-delay timer).
  using Post = std::function<void(std::function<void()>)>;

  // Commits every batch it accepted before it returns; their `done`s are posted as usual (a loop
  // that stops first drops them).
  virtual ~DiskQueue() = default;
  // Commits the batch as one LocalStore::write, after every batch written before it. `done` gets
  // the result on the loop thread, never inside write().
  virtual void write(DiskBatch batch, Done done) = 0;
  // Runs fn on the loop thread, never inside post(): answers that need no disk keep the same
  // "never synchronous" contract as those that do.
  virtual void post(std::function<void()> fn) = 0;
};

}  // namespace peerstore
