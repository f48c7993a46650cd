// The DiskQueues: InlineDiskQueue writes at once and reports later; ThreadDiskQueue writes on its
// worker thread in order, reports through the loop's post, and drains its queue when destroyed.
#include <doctest/doctest.h>

#include <mutex>

#include "dht/thread_disk_queue.h"
#include "support/inline_disk_queue.h"
#include "test_data.h"
#include "test_disks.h"

namespace peerstore {
namespace {

DiskBatch one_block(const sim::TestBlock& b) {
  DiskBatch batch(/*durable=*/false);
  batch.add_block(b.id, std::make_shared<const Bytes>(b.data));
  return batch;
}

TEST_CASE("inline disk queue: writes at once, reports through the post it was given") {
  MemoryStore mem;
  std::vector<std::function<void()>> posted;
  InlineDiskQueue q(mem, [&](std::function<void()> fn) { posted.push_back(std::move(fn)); });
  std::mt19937_64 rng(1);
  auto b = sim::random_block(rng);
  std::optional<Status> done;
  q.write(one_block(b), [&](Status st) { done = st; });
  CHECK(*mem.contains(b.id));
  CHECK_FALSE(done);
  REQUIRE(posted.size() == 1);
  posted[0]();
  CHECK(done->ok());
}

TEST_CASE("thread disk queue: batches commit in order on the worker; the destructor drains") {
  sim::FlakyStore store;
  std::mutex mu;
  std::vector<std::function<void()>> posted;  // the "loop": run below, on this thread
  std::mt19937_64 rng(2);
  std::vector<sim::TestBlock> blocks;
  for (int i = 0; i < 50; ++i) blocks.push_back(sim::random_block(rng));
  std::vector<int> order;
  {
    ThreadDiskQueue q(store, [&](std::function<void()> fn) {
      std::lock_guard lock(mu);
      posted.push_back(std::move(fn));
    });
    for (int i = 0; i < 50; ++i)
      q.write(one_block(blocks[i]), [&order, i](Status st) {
        CHECK(st.ok());
        order.push_back(i);
      });
  }
  CHECK(store.last_writer.load() != std::this_thread::get_id());
  REQUIRE(posted.size() == 50);
  for (auto& fn : posted) fn();
  for (int i = 0; i < 50; ++i) {
    CHECK(order[i] == i);
    CHECK(*store.contains(blocks[i].id));
  }

  // A failed write reaches its callback as the store's error.
  store.fail_writes = true;
  posted.clear();
  std::optional<Status> failed;
  {
    ThreadDiskQueue q(store, [&](std::function<void()> fn) {
      std::lock_guard lock(mu);
      posted.push_back(std::move(fn));
    });
    q.write(one_block(sim::random_block(rng)), [&](Status st) { failed = st; });
  }
  REQUIRE(posted.size() == 1);
  posted[0]();
  CHECK(failed->code() == Errc::io);
}

}  // namespace
}  // namespace peerstore
