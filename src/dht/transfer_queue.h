// TransferQueue: runs queued asynchronous tasks (key transfers) at most `window` at a time, so a
// repair session or a handoff never floods a peer. Loop thread only.
#pragma once

#include <functional>
#include <vector>

namespace peerstore {

class TransferQueue {
 public:
  using Task = std::function<void(std::function<void()> finished)>;
  explicit TransferQueue(size_t window) : window_(window) {}
  void push(Task t) {
    queue_.push_back(std::move(t));
    pump();
  }
  bool idle() const { return running_ == 0 && head_ == queue_.size(); }

 private:
  // Not reentrant: a task that finishes synchronously only lowers running_, and the loop below
  // starts the next one (no recursion however many finish at once).
  void pump() {
    if (pumping_) return;
    pumping_ = true;
    while (running_ < window_ && head_ < queue_.size()) {
      Task t = std::move(queue_[head_++]);
      ++running_;
      t([this] {
        --running_;
        pump();
      });
    }
    if (head_ == queue_.size()) {
      queue_.clear();
      head_ = 0;
    }
    pumping_ = false;
  }
  size_t window_;
  size_t running_ = 0;
  std::vector<Task> queue_;
  size_t head_ = 0;
  bool pumping_ = false;
};

}  // namespace peerstore
