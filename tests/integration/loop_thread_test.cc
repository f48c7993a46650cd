// LoopThread: posts run on the loop thread in FIFO order (per posting thread, and overall for
// one poster); call() returns values, move-only ones too; stop() runs what was posted before
// it, then the shutdown function, drops (destroys unrun) what is posted after, closes handles
// their owners left open (even ones a close callback makes) and is idempotent and safe to call
// from several threads at once.
#include "dht/loop_thread.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "transport_peer.h"

namespace peerstore {
namespace {

// Whether stop() has begun: a post is then destroyed at once instead of queued. Only
// meaningful while the loop is held busy, so that queued posts cannot run meanwhile.
bool post_refused(LoopThread& t) {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  t.post([token] {});
  token.reset();
  return watch.expired();
}

std::unique_ptr<LoopThread> start_loop() {
  auto t = LoopThread::start("test-loop");
  REQUIRE(t.ok());
  return std::move(*t);
}

TEST_CASE("loop thread: posts run on the loop thread in order") {
  auto t = start_loop();
  CHECK_FALSE(t->on_loop_thread());
  std::vector<int> seen;  // loop thread only
  bool all_on_loop = true;
  for (int i = 0; i < 1000; ++i)
    t->post([&, i] {
      all_on_loop = all_on_loop && t->on_loop_thread();
      seen.push_back(i);
    });
  auto got = t->call([&] { return seen; });
  REQUIRE(got.size() == 1000);
  for (int i = 0; i < 1000; ++i) CHECK(got[size_t(i)] == i);
  CHECK(t->call([&] { return all_on_loop; }));
}

TEST_CASE("loop thread: posts from many threads keep each thread's order") {
  auto t = start_loop();
  constexpr int kThreads = 4, kEach = 2000;
  std::vector<std::vector<int>> seen(kThreads);  // loop thread only
  std::vector<std::thread> posters;
  for (int k = 0; k < kThreads; ++k)
    posters.emplace_back([&, k] {
      for (int i = 0; i < kEach; ++i) t->post([&, k, i] { seen[size_t(k)].push_back(i); });
    });
  for (auto& p : posters) p.join();
  auto got = t->call([&] { return seen; });
  for (auto& s : got) {
    REQUIRE(s.size() == size_t(kEach));
    for (int i = 0; i < kEach; ++i) CHECK(s[size_t(i)] == i);
  }
}

TEST_CASE("loop thread: call returns values, move-only values and void") {
  auto t = start_loop();
  CHECK(t->call([] { return 42; }) == 42);
  auto p = t->call([] { return std::make_unique<std::string>("on the loop"); });
  REQUIRE(p);
  CHECK(*p == "on the loop");
  int x = 0;
  t->call([&] { x = 7; });
  CHECK(x == 7);
  Result<int> r = t->call([]() -> Result<int> { return fail(Errc::busy, "no"); });
  CHECK(r.code() == Errc::busy);
}

TEST_CASE("loop thread: stop runs earlier posts, then shutdown, and drops later posts") {
  auto t = start_loop();
  std::vector<std::string> order;  // loop thread, then read after join
  std::atomic<bool> release{false};
  // Hold the loop so that stop() begins while posts are still queued.
  t->post([&] {
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    order.push_back("first");
  });
  for (int i = 0; i < 10; ++i) t->post([&] { order.push_back("queued"); });

  CHECK_FALSE(post_refused(*t));
  std::thread stopper([&] { t->stop([&] { order.push_back("shutdown"); }); });
  REQUIRE(test::eventually([&] { return post_refused(*t); }));
  release = true;
  stopper.join();

  REQUIRE(order.size() == 12);
  CHECK(order.front() == "first");
  CHECK(order[10] == "queued");
  CHECK(order.back() == "shutdown");

  // Idempotent: the second shutdown function is dropped.
  bool ran = false;
  t->stop([&] { ran = true; });
  CHECK_FALSE(ran);
}

TEST_CASE("loop thread: concurrent stops run one shutdown and all return") {
  auto t = start_loop();
  std::atomic<int> shutdowns{0};
  std::vector<std::thread> stoppers;
  for (int k = 0; k < 4; ++k) stoppers.emplace_back([&] { t->stop([&] { ++shutdowns; }); });
  for (auto& s : stoppers) s.join();
  CHECK(shutdowns == 1);
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  t->post([token] {});
  token.reset();
  CHECK(watch.expired());  // dropped after stop
}

TEST_CASE("loop thread: stop closes the handles owners left open and closes the loop") {
  auto t = start_loop();
  auto* forgotten = new uv_timer_t;  // its owner never closes it
  auto* owned = new uv_idle_t;
  auto* spawned = new uv_timer_t;  // made by a close callback, after the sweep
  struct Flags {
    bool owner_closed = false;
    uv_timer_t* spawned;
  } flags{false, spawned};
  t->call([&] {
    uv_timer_init(t->loop(), forgotten);
    uv_timer_start(
        forgotten, [](uv_timer_t*) {}, 100000, 100000);
    uv_idle_init(t->loop(), owned);
    owned->data = &flags;
  });
  t->stop([&] {
    uv_close(reinterpret_cast<uv_handle_t*>(owned), [](uv_handle_t* h) {
      auto* f = static_cast<Flags*>(h->data);
      f->owner_closed = true;
      uv_timer_init(h->loop, f->spawned);
      delete reinterpret_cast<uv_idle_t*>(h);
    });
  });
  // stop() returned, so uv_loop_close() succeeded: every handle is closed.
  CHECK(flags.owner_closed);
  CHECK(uv_is_closing(reinterpret_cast<uv_handle_t*>(forgotten)));
  CHECK(uv_is_closing(reinterpret_cast<uv_handle_t*>(spawned)));
  delete forgotten;
  delete spawned;
}

}  // namespace
}  // namespace peerstore
