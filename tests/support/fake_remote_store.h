// FakeRemoteStore: an in-memory RemoteStore for the tiered store's tests (unit/store) and the
// RemoteStore conformance suite (integration/). Answers from its own thread after a short delay
// (as the DHT's loop thread would), can be switched offline (every call fails with
// Errc::unavailable), counts calls, and records the order of puts so tests can check that heads
// never arrive before their blocks. Keeps a volume's heads as the DHT does (each once, none that
// another dominates), but verifies nothing: it keeps heads that do not decode (the tiered store's
// tests use plain strings) and takes a block's id on trust. Thread-safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "keys/signed_head.h"
#include "store/local_store.h"
#include "store/remote_store.h"

namespace peerstore::test {

class FakeRemoteStore final : public RemoteStore {
 public:
  FakeRemoteStore() : thread_([this] { run(); }) {}
  ~FakeRemoteStore() override {
    {
      std::lock_guard lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  std::atomic<bool> offline{false};
  std::atomic<int> block_gets{0}, block_puts{0}, head_puts{0};
  std::atomic<int> delay_ms{2};

  void get_block(const BlockId& id, std::function<void(Result<Bytes>)> done) override {
    ++block_gets;
    later([this, id, done = std::move(done)] {
      if (offline) return done(fail(Errc::unavailable, "offline"));
      std::lock_guard lk(data_m_);
      auto it = blocks_.find(id);
      if (it == blocks_.end()) return done(fail(Errc::not_found, "no such block"));
      done(it->second);
    });
  }
  void put_block(const BlockId& id, Bytes data, std::function<void(Status)> done) override {
    ++block_puts;
    later([this, id, data = std::move(data), done = std::move(done)]() mutable {
      if (offline) return done(fail(Errc::unavailable, "offline"));
      std::lock_guard lk(data_m_);
      blocks_[id] = std::move(data);
      done({});
    });
  }
  void get_heads(const VolumeId& volume,
                 std::function<void(Result<std::vector<Bytes>>)> done) override {
    later([this, volume, done = std::move(done)] {
      if (offline) return done(fail(Errc::unavailable, "offline"));
      std::lock_guard lk(data_m_);
      auto it = heads_.find(volume);
      done(it == heads_.end() ? std::vector<Bytes>{} : it->second);
    });
  }
  void put_heads(const VolumeId& volume, std::vector<Bytes> heads,
                 std::function<void(Status)> done) override {
    ++head_puts;
    later([this, volume, heads = std::move(heads), done = std::move(done)]() mutable {
      if (offline) return done(fail(Errc::unavailable, "offline"));
      std::lock_guard lk(data_m_);
      blocks_at_head_put_.push_back(blocks_.size());
      auto& set = heads_[volume];
      for (auto& h : heads) add_head(set, std::move(h));
      done({});
    });
  }

  // Releases what `keep` does not claim, deleting it from `local` (the store it shares).
  std::function<bool(const BlockId&)> keep = [](const BlockId&) { return false; };
  LocalStore* local = nullptr;
  bool shares_store_with(const BlockStore& l) const override {
    return local && l.blocks_identity() == local->blocks_identity();
  }
  std::atomic<int> stored_block_puts{0};
  void put_stored_block(const BlockId& id, size_t, std::function<void(Status)> done) override {
    ++block_puts;
    ++stored_block_puts;
    later([this, id, done = std::move(done)] {
      if (offline) return done(fail(Errc::unavailable, "offline"));
      auto bytes = local->get(id);
      if (!bytes) return done(bytes.error());
      std::lock_guard lk(data_m_);
      blocks_[id] = std::move(*bytes);
      done({});
    });
  }
  void release(std::vector<BlockId> ids, std::function<void(std::vector<BlockId>)> done) override {
    later([this, ids = std::move(ids), done = std::move(done)] {
      WriteBatch w;
      for (auto& id : ids)
        if (!keep(id)) w.erase.push_back(id);
      if (local && !local->write(w).ok()) w.erase.clear();
      released += int(w.erase.size());
      done(w.erase);
    });
  }
  std::atomic<int> released{0};

  // Direct access for tests (not through the callbacks).
  void add_block(const BlockId& id, Bytes data) {
    std::lock_guard lk(data_m_);
    blocks_[id] = std::move(data);
  }
  void add_heads(const VolumeId& v, std::vector<Bytes> hs) {
    std::lock_guard lk(data_m_);
    heads_[v] = std::move(hs);
  }
  bool has_block(const BlockId& id) {
    std::lock_guard lk(data_m_);
    return blocks_.count(id) > 0;
  }
  std::vector<Bytes> heads_of(const VolumeId& v) {
    std::lock_guard lk(data_m_);
    return heads_[v];
  }
  // How many blocks the fake held at each put_heads, in order.
  std::vector<size_t> blocks_at_head_put() {
    std::lock_guard lk(data_m_);
    return blocks_at_head_put_;
  }

 private:
  // a's version vector is at least b's for every device, and larger for one.
  static bool dominates(const Head& a, const Head& b) {
    for (auto& [device, n] : b.clock)
      if (a.counter_of(device) < n) return false;
    for (auto& [device, n] : a.clock)
      if (n > b.counter_of(device)) return true;
    return false;
  }
  static void add_head(std::vector<Bytes>& set, Bytes h) {
    if (std::find(set.begin(), set.end(), h) != set.end()) return;
    if (auto head = Head::decode(h); head.ok()) {
      for (const Bytes& kept : set) {
        auto k = Head::decode(kept);
        if (k.ok() && dominates(*k, *head)) return;
      }
      std::erase_if(set, [&](const Bytes& kept) {
        auto k = Head::decode(kept);
        return k.ok() && dominates(*head, *k);
      });
    }
    set.push_back(std::move(h));
  }

  void later(std::function<void()> fn) {
    std::lock_guard lk(m_);
    queue_.emplace_back(std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms),
                        std::move(fn));
    cv_.notify_all();
  }
  void run() {
    std::unique_lock lk(m_);
    while (!stop_ || !queue_.empty()) {
      if (queue_.empty()) {
        cv_.wait(lk);
        continue;
      }
      auto [when, fn] = std::move(queue_.front());
      queue_.pop_front();
      lk.unlock();
      std::this_thread::sleep_until(when);
      fn();
      lk.lock();
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, std::function<void()>>> queue_;
  bool stop_ = false;
  std::mutex data_m_;
  std::map<BlockId, Bytes> blocks_;
  std::map<VolumeId, std::vector<Bytes>> heads_;
  std::vector<size_t> blocks_at_head_put_;
  std::thread thread_;  // last: started once every member exists
};

}  // namespace peerstore::test
