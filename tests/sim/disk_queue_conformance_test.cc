// The DiskQueue conformance suite (src/dht/disk_queue.h), run against every implementation:
// ThreadDiskQueue (production: a worker thread) and InlineDiskQueue (the simulator's). Each
// batch commits as one LocalStore write, in the order written, a failed write reaches its own
// callback only, completions and posted functions run on the loop (here: the test thread,
// draining what was posted), never inside write() or post(), and destroying a queue commits
// every batch it accepted. The loop is the test thread; the store is thread-safe.
#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "dht/thread_disk_queue.h"
#include "store/memory_store.h"
#include "support/inline_disk_queue.h"
#include "test_data.h"
#include "test_disks.h"

namespace peerstore {
namespace {

// The loop the queue posts to: a thread-safe list of functions that the test thread drains.
class TestLoop {
 public:
  DiskQueue::Post post() {
    return [this](std::function<void()> fn) {
      std::lock_guard lock(mu_);
      posted_.push_back(std::move(fn));
    };
  }
  // True while run() runs posted functions on the loop thread.
  bool in_loop() const { return std::this_thread::get_id() == thread_ && running_; }
  // Runs what was posted until `pred` holds (or 10 s pass); returns whether it held.
  bool run_until(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::vector<std::function<void()>> fns;
      {
        std::lock_guard lock(mu_);
        fns.swap(posted_);
      }
      if (fns.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      running_ = true;
      for (auto& fn : fns) fn();
      running_ = false;
    }
    return true;
  }
  void run_posted() {
    run_until([&] {
      std::lock_guard lock(mu_);
      return posted_.empty();
    });
  }

 private:
  const std::thread::id thread_ = std::this_thread::get_id();
  bool running_ = false;
  std::mutex mu_;
  std::vector<std::function<void()>> posted_;  // guarded by mu_
};

struct ThreadQueue {
  static std::unique_ptr<DiskQueue> make(LocalStore& store, DiskQueue::Post post) {
    return std::make_unique<ThreadDiskQueue>(store, std::move(post));
  }
};
struct InlineQueue {
  static std::unique_ptr<DiskQueue> make(LocalStore& store, DiskQueue::Post post) {
    return std::make_unique<InlineDiskQueue>(store, std::move(post));
  }
};

DiskBatch one_block(const sim::TestBlock& b) {
  DiskBatch batch(/*durable=*/false);
  batch.add_block(b.id, std::make_shared<const Bytes>(b.data));
  return batch;
}

std::vector<sim::TestBlock> blocks(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<sim::TestBlock> out;
  for (size_t i = 0; i < n; ++i) out.push_back(sim::random_block(rng));
  return out;
}

#define DISK_QUEUES ThreadQueue, InlineQueue

// A queue of kind Q on a FlakyStore, posting to a TestLoop.
template <class Q>
struct QueueRig {
  sim::FlakyStore store;
  TestLoop loop;
  std::unique_ptr<DiskQueue> q = Q::make(store, loop.post());
};

TEST_CASE_TEMPLATE("disk queue: a batch commits whole; done runs on the loop, never inside write()",
                   Q, DISK_QUEUES) {
  QueueRig<Q> rig;
  auto& [store, loop, q] = rig;
  auto b = blocks(2, 1);
  auto volume = sim::make_volume(7);
  VolumeId vid = volume.id();
  Bytes head = sim::make_head(volume, {{sim::device_id(1), 1}});

  DiskBatch batch(/*durable=*/true);
  batch.add_block(b[0].id, std::make_shared<const Bytes>(b[0].data));
  batch.add_block(b[1].id, std::make_shared<const Bytes>(b[1].data));
  batch.add_heads(vid, {head});
  CHECK_FALSE(batch.empty());
  std::optional<Status> done;
  bool done_in_loop = false;
  q->write(std::move(batch), [&](Status st) {
    done = st;
    done_in_loop = loop.in_loop();
  });
  CHECK_FALSE(done);  // not inside write(), and not before the loop ran
  REQUIRE(loop.run_until([&] { return done.has_value(); }));
  CHECK(done->ok());
  CHECK(done_in_loop);
  CHECK(*store.contains(b[0].id));
  CHECK(*store.get(b[1].id) == b[1].data);
  CHECK(*store.heads(vid) == std::vector<Bytes>{head});
  CHECK(store.writers().size() == 1);  // one LocalStore::write for the whole batch
}

TEST_CASE_TEMPLATE("disk queue: batches commit and report in the order written", Q, DISK_QUEUES) {
  QueueRig<Q> rig;
  auto& [store, loop, q] = rig;
  auto b = blocks(50, 2);
  auto volume = sim::make_volume(8);
  VolumeId vid = volume.id();
  std::vector<int> reported;
  Bytes last_head;
  for (int i = 0; i < 50; ++i) {
    DiskBatch batch = one_block(b[size_t(i)]);
    // Every batch replaces the volume's heads: the last one written must win.
    last_head = sim::make_head(volume, {{sim::device_id(1), uint64_t(i + 1)}});
    batch.add_heads(vid, {last_head});
    q->write(std::move(batch), [&, i](Status st) {
      CHECK(st.ok());
      CHECK(loop.in_loop());
      reported.push_back(i);
    });
  }
  REQUIRE(loop.run_until([&] { return reported.size() == 50; }));
  auto order = store.order();
  REQUIRE(order.size() == 50);
  for (size_t i = 0; i < 50; ++i) {
    CHECK(reported[i] == int(i));
    CHECK(order[i] == b[i].id);
  }
  CHECK(*store.heads(vid) == std::vector<Bytes>{last_head});
}

TEST_CASE_TEMPLATE("disk queue: a failed batch reports the store's error; the rest commit", Q,
                   DISK_QUEUES) {
  QueueRig<Q> rig;
  auto& [store, loop, q] = rig;
  auto b = blocks(3, 3);
  store.poison = b[1].id;  // before the first write
  std::vector<std::optional<Status>> done(3);
  for (size_t i = 0; i < 3; ++i) q->write(one_block(b[i]), [&, i](Status st) { done[i] = st; });
  REQUIRE(loop.run_until([&] { return done[0] && done[1] && done[2]; }));
  CHECK(done[0]->ok());
  REQUIRE_FALSE(done[1]->ok());
  CHECK(done[1]->code() == Errc::io);
  CHECK(done[2]->ok());
  CHECK_FALSE(*store.contains(b[1].id));
  CHECK(*store.contains(b[2].id));
}

TEST_CASE_TEMPLATE("disk queue: post runs on the loop in order, never inside post()", Q,
                   DISK_QUEUES) {
  QueueRig<Q> rig;
  auto& [store, loop, q] = rig;
  std::vector<int> ran;
  for (int i = 0; i < 10; ++i) {
    q->post([&, i] {
      CHECK(loop.in_loop());
      ran.push_back(i);
    });
    CHECK(ran.empty());
  }
  REQUIRE(loop.run_until([&] { return ran.size() == 10; }));
  for (int i = 0; i < 10; ++i) CHECK(ran[size_t(i)] == i);
}

TEST_CASE_TEMPLATE("disk queue: a completion may write again", Q, DISK_QUEUES) {
  QueueRig<Q> rig;
  auto& [store, loop, q] = rig;
  auto b = blocks(5, 4);
  size_t next = 0, done = 0;
  std::function<void(Status)> chain = [&](Status st) {
    CHECK(st.ok());
    ++done;
    if (++next < b.size()) q->write(one_block(b[next]), chain);
  };
  q->write(one_block(b[0]), chain);
  REQUIRE(loop.run_until([&] { return done == b.size(); }));
  CHECK(store.order().size() == b.size());
}

TEST_CASE_TEMPLATE("disk queue: destroying it commits every batch it accepted, in order", Q,
                   DISK_QUEUES) {
  sim::FlakyStore store;
  store.delay_ms = 1;  // so that batches are still queued when the queue goes
  TestLoop loop;
  auto b = blocks(30, 5);
  std::vector<int> reported;
  {
    auto q = Q::make(store, loop.post());
    for (int i = 0; i < 30; ++i)
      q->write(one_block(b[size_t(i)]), [&, i](Status st) {
        CHECK(st.ok());
        reported.push_back(i);
      });
  }
  auto order = store.order();
  REQUIRE(order.size() == 30);
  for (size_t i = 0; i < 30; ++i) CHECK(order[i] == b[i].id);
  // The results were posted; a loop that still runs reports them, in order.
  loop.run_posted();
  REQUIRE(reported.size() == 30);
  for (int i = 0; i < 30; ++i) CHECK(reported[size_t(i)] == i);
}

// Not part of the contract: when and on which thread the write runs. Production keeps the loop
// thread off the disk; the simulator writes at once, so that runs stay deterministic.
TEST_CASE("inline disk queue: writes at once, on the calling thread") {
  sim::FlakyStore store;
  TestLoop loop;
  InlineDiskQueue q(store, loop.post());
  auto b = blocks(1, 7);
  std::optional<Status> done;
  q.write(one_block(b[0]), [&](Status st) { done = st; });
  CHECK(*store.contains(b[0].id));
  CHECK(store.writers() == std::vector<std::thread::id>{std::this_thread::get_id()});
  CHECK_FALSE(done);
  loop.run_posted();
  CHECK(done->ok());
}

TEST_CASE("thread disk queue: writes run on its worker, never on the loop thread") {
  sim::FlakyStore store;
  TestLoop loop;
  auto b = blocks(10, 6);
  size_t done = 0;
  {
    ThreadDiskQueue q(store, loop.post());
    for (auto& blk : b) q.write(one_block(blk), [&](Status) { ++done; });
    REQUIRE(loop.run_until([&] { return done == b.size(); }));
  }
  for (auto id : store.writers()) CHECK(id != std::this_thread::get_id());
}

}  // namespace
}  // namespace peerstore
